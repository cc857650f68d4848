def includeme(config):
    """The points wallet: a double-entry ledger of integer points in programmes.

    - settings ``kairan.points.*`` (see ``kairan_points.settings``)
    - protected actions ``points.grant`` (operators' grants, corrections and
      approvals, level 2) and ``points.pay`` (paying at a shop, level 2); the
      sub-packages add ``points.settle`` and ``points.bridge``
    - the ``LedgerConflict`` error is retried by pyramid_retry
    - routes and views: the resident's wallet (``/points``) and the operators'
      programmes, grants and approvals (``/manage/points``)
    - dashboard tile ``points``, exporters ``points_*``, KPIs ``points.issued``,
      ``points.spent``, ``points.expired``, ``points.refunded``,
      ``points.wallets.active``, ``points.payments.category.<code>``,
      the personal data section ``points``, demo programmes, activities and a
      campaign (``kairan demo``)
    - sub-packages: payments, earning, campaigns, settlement, bridge
    - CLI: ``kairan points verify|expire|remind|draw|settle|bridge`` (the group is
      the ``kairan.cli`` entry point ``points`` in setup.cfg)
    """
    from pyramid_retry import mark_error_retryable

    from kairan.i18n.translation import _
    from kairan_points.demo import PointsDemoLoader
    from kairan_points.errors import LedgerConflict
    from kairan_points.exporters import EXPORTERS
    from kairan_points.kpis import KPIS
    from kairan_points.providers import PointsData
    from kairan_points.settings import read_settings
    from kairan_points.tiles import PointsTile

    read_settings(config.get_settings())
    config.add_translation_dirs("kairan_points:locale")
    # A guarded update that found its row changed has written part of a
    # transfer: the whole request must roll back and run again.
    mark_error_retryable(LedgerConflict)
    config.add_assurance_action("points.grant", 2, _("granting or correcting points"))
    config.add_assurance_action("points.pay", 2, _("paying with points"))
    config.add_dashboard_tile(PointsTile())
    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    for kpi in KPIS:
        config.add_kpi(kpi)
    config.add_personal_data_provider(PointsData())
    config.add_demo_loader(PointsDemoLoader())
    config.include("kairan_points.views")
    config.include("kairan_points.payments")
    config.include("kairan_points.earning")
    config.include("kairan_points.campaigns")
    config.include("kairan_points.settlement")
    config.include("kairan_points.bridge")
