def includeme(config):
    """kpi (see its modules)."""
