import os


def includeme(config):
    """KPIs: ``config.add_kpi(provider)`` and the operators' KPI page ``/manage/kpi``.

    - Directive ``config.add_kpi(provider)`` registers an ``IKpiProvider``;
      two KPIs with one name fail at start-up.
    - The core registers its own KPI, monthly active users ("mau"), through
      the same directive; ``kairan.kpi.services.record_activity`` feeds it.
    - ``/manage/kpi`` (Permission.VIEW_KPI) draws each KPI as an SVG chart
      with a table; ``/manage/kpi/{name}.csv`` and ``/manage/kpi/all.csv``.
    """
    from kairan.kpi.providers import MonthlyActiveUsers
    from kairan.kpi.services import add_kpi

    config.add_directive("add_kpi", add_kpi)
    # an absolute path: pytest loads kairan modules through its assertion-rewriting
    # importer, whose loader pkg_resources (behind "pkg:locale" specs) cannot read
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    root = "kairan.security.permissions.site_root_factory"
    config.add_route("kpi.list", "/manage/kpi", factory=root)
    config.add_route("kpi.csv_all", "/manage/kpi/all.csv", factory=root)
    config.add_route("kpi.csv", "/manage/kpi/{name}.csv", factory=root)
    config.add_kpi(MonthlyActiveUsers())
    config.scan(".views")
