def includeme(config):
    """KPIs: ``config.add_kpi(provider)``; two KPIs with one name fail at start-up."""
    from kairan.kpi.providers import MonthlyActiveUsers
    from kairan.kpi.services import add_kpi

    config.add_directive("add_kpi", add_kpi)
    config.add_kpi(MonthlyActiveUsers())
