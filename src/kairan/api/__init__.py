def includeme(config):
    """api (see its modules)."""
