"""Settlement: each merchant's statement for a month (a printable page and a CSV download).

Needs the merchants add-on (``config.add_merchant_page``): without it nothing
is registered. Routes: ``/merchant/{merchant_id}/statement`` (GET, the
printable statement; ``?period=YYYY-MM``, default the current JST month) and
``/merchant/{merchant_id}/statement/csv`` (POST, the CSV download, audited).
"""


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.payments.views import merchant_context

    if getattr(config, "add_merchant_page", None) is None:
        return
    config.add_translation_dirs("kairan_points:settlement/locale")
    config.add_route("points.merchant_statement", "/merchant/{merchant_id:\\d+}/statement",
                     factory=merchant_context)
    config.add_route("points.merchant_statement_csv",
                     "/merchant/{merchant_id:\\d+}/statement/csv", factory=merchant_context)
    config.add_merchant_page("points.statement", "points.merchant_statement",
                             _("Monthly statement"))
    config.scan("kairan_points.settlement.views")
