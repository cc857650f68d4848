"""Exporters of the payments and the shops' one-time codes (never a code's secret)."""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_points.models import Programme
from kairan_points.payments.models import OneTimeCode, Payment


class PaymentsExporter(Exporter):
    name = "points_payments"
    title = _("Points: payments at shops")

    def columns(self, request):
        return [("payment_id", _("Payment")), ("created", _("Date")),
                ("programme", _("Programme")), ("merchant_id", _("Merchant ID")),
                ("branch_id", _("Branch ID")), ("user_id", _("User ID")),
                ("amount", _("Points")), ("refunded", _("Refunded")),
                ("receipt_code", _("Receipt code")), ("transfer_id", _("Transfer"))]

    def rows(self, request):
        query = (
            select(Payment.id, Payment.created, Programme.code, Payment.merchant_id,
                   Payment.branch_id, Payment.user_id, Payment.amount, Payment.refunded,
                   Payment.receipt_code, Payment.transfer_id)
            .join(Programme, Programme.id == Payment.programme_id)
            .order_by(Payment.id)
            .execution_options(yield_per=500)
        )
        for row in request.dbsession.execute(query):
            yield tuple(row)


class OneTimeCodesExporter(Exporter):
    name = "points_one_time_codes"
    title = _("Points: shops' one-time codes")

    def columns(self, request):
        return [("code_id", _("Code")), ("merchant_id", _("Merchant ID")),
                ("branch_id", _("Branch ID")), ("amount", _("Points")),
                ("created_by", _("Created by user ID")), ("created", _("Date")),
                ("expires_at", _("Expires")), ("used_at", _("Used")),
                ("payment_id", _("Payment"))]

    def rows(self, request):
        query = (
            select(OneTimeCode.id, OneTimeCode.merchant_id, OneTimeCode.branch_id,
                   OneTimeCode.amount, OneTimeCode.created_by, OneTimeCode.created,
                   OneTimeCode.expires_at, OneTimeCode.used_at, OneTimeCode.payment_id)
            .order_by(OneTimeCode.id)
            .execution_options(yield_per=500)
        )
        for row in request.dbsession.execute(query):
            yield tuple(row)


EXPORTERS = (PaymentsExporter(), OneTimeCodesExporter())
