def includeme(config):
    """Routes of the wallet and of the operators' pages; views are scanned from this package."""
    config.scan("kairan_points.views")
