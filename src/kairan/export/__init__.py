def includeme(config):
    """export (see its modules)."""
