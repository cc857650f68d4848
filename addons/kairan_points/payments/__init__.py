"""Paying at a shop with points: the resident's pay pages, the shop's payments and refunds.

Settings (defaults below): ``kairan.points.max_payment`` (the most one
payment may be), ``kairan.points.pay_stepup_above`` (a payment above this
needs the protected action ``points.pay``), ``kairan.points.refund_days``
(how long a payment can be refunded), ``kairan.points.one_time_seconds`` (how long a
shop's one-time code lasts). Needs the merchants add-on: without
its ``IMerchantDirectory`` nothing is registered.
"""

from kairan_points.settings import read_whole_numbers

DEFAULTS = {
    "kairan.points.max_payment": "100000",
    "kairan.points.pay_stepup_above": "3000",
    "kairan.points.refund_days": "30",
    "kairan.points.one_time_seconds": "300",
}
# 0 is allowed where it means something: a step-up for every payment, no refunds.
MINIMUMS = {"kairan.points.max_payment": 1, "kairan.points.one_time_seconds": 1}


def read_settings(settings):
    minimums = {key: MINIMUMS.get(key, 0) for key in DEFAULTS}
    return read_whole_numbers(settings, DEFAULTS, minimums)


def includeme(config):
    from kairan.i18n.translation import _
    from kairan_points.payments.exporters import EXPORTERS
    from kairan_points.payments.views import merchant_context

    read_settings(config.get_settings())
    if getattr(config, "add_merchant_page", None) is None:
        # The merchants add-on is not enabled (or comes later): no shop, no payment.
        return
    config.add_translation_dirs("kairan_points:payments/locale")
    config.add_static_view("points-pay-static", "kairan_points:payments/static")
    config.add_route("points.pay", "/points/pay")
    config.add_route("points.pay_confirm", "/points/pay/confirm")
    config.add_route("points.payment", "/points/payments/{id:\\d+}")
    config.add_route("points.merchant_payments", "/merchant/{merchant_id:\\d+}/payments",
                     factory=merchant_context)
    config.add_route("points.merchant_latest", "/merchant/{merchant_id:\\d+}/payments/latest",
                     factory=merchant_context)
    config.add_route("points.merchant_refund",
                     "/merchant/{merchant_id:\\d+}/payments/{id:\\d+}/refund",
                     factory=merchant_context)
    config.add_route("points.merchant_one_time", "/merchant/{merchant_id:\\d+}/payments/one-time",
                     factory=merchant_context)
    config.add_merchant_page("points.payments", "points.merchant_payments",
                             _("Today's payments"))
    for exporter in EXPORTERS:
        config.add_exporter(exporter)
    config.scan("kairan_points.payments.views")
