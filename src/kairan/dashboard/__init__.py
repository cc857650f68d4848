def includeme(config):
    """dashboard (see its modules)."""
