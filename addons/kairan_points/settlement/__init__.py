"""Settlement: each merchant's statement for a month (a printable page and a CSV download).

Needs the merchants add-on (``config.add_merchant_page``): without it nothing
is registered. Routes: ``/merchant/{merchant_id}/statement`` (GET, the
printable statement; ``?period=YYYY-MM``, default the current JST month) and
``/merchant/{merchant_id}/statement/csv`` (POST, the CSV download, audited);
for operators (``points.operate``) ``/manage/points/settlement`` (GET, every
merchant and programme of a month) and ``/manage/points/settlement/download``
(POST, the contractor's settlement file as CSV or XLSX, audited) and
``/manage/points/settlement/close`` (POST, closing an ended month, audited; behind the
protected action ``points.settle``, level 2 by default, ``kairan.assurance.points.settle``).
CLI: ``kairan points settle --period YYYY-MM [--close]`` (``kairan_points.cli``).
"""


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.payments.views import merchant_context
    from kairan_points.views import PointsManagement

    if getattr(config, "add_merchant_page", None) is None:
        return
    config.add_translation_dirs("kairan_points:settlement/locale")
    # closing records the month's totals for good: a stolen session alone must not do it
    config.add_assurance_action("points.settle", 2, _("closing a settlement month"))
    config.add_route("points.merchant_statement", "/merchant/{merchant_id:\\d+}/statement",
                     factory=merchant_context)
    config.add_route("points.merchant_statement_csv",
                     "/merchant/{merchant_id:\\d+}/statement/csv", factory=merchant_context)
    config.add_merchant_page("points.statement", "points.merchant_statement",
                             _("Monthly statement"))
    config.add_route("points.settlement", "/manage/points/settlement",
                     factory=PointsManagement)
    config.add_route("points.settlement_download", "/manage/points/settlement/download",
                     factory=PointsManagement)
    config.add_route("points.settlement_close", "/manage/points/settlement/close",
                     factory=PointsManagement)
    config.scan("kairan_points.settlement.views")
