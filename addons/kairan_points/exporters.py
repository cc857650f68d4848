"""Exporters: every line of the ledger, every account's balance, programmes, pending grants.

Rows are streamed in batches; personal data is limited to ids (an operator
joins them with the accounts export when needed).
"""

from sqlalchemy import select

from kairan.export.services import Exporter
from kairan.i18n.translation import _
from kairan_points.models import Account, Line, PendingGrant, Programme, Transfer


class TransfersExporter(Exporter):
    name = "points_transfers"
    title = _("Points: ledger lines")

    def columns(self, request):
        return [("transfer_id", _("Transfer")), ("at", _("Date")),
                ("programme", _("Programme")), ("reason_code", _("Reason code")),
                ("reason", _("Reason")), ("actor_id", _("Actor user ID")),
                ("on_behalf_of", _("On behalf of user ID")), ("account_id", _("Account")),
                ("account_kind", _("Account kind")), ("user_id", _("User ID")),
                ("merchant_id", _("Merchant ID")), ("amount", _("Points"))]

    def rows(self, request):
        query = (
            select(Transfer.id, Transfer.at, Programme.code, Transfer.reason_code,
                   Transfer.reason, Transfer.actor_id, Transfer.on_behalf_of, Account.id,
                   Account.kind, Account.user_id, Account.merchant_id, Line.amount)
            .join(Line, Line.transfer_id == Transfer.id)
            .join(Account, Account.id == Line.account_id)
            .join(Programme, Programme.id == Transfer.programme_id)
            .order_by(Transfer.id, Line.id)
            .execution_options(yield_per=500)
        )
        for row in request.dbsession.execute(query):
            yield tuple(row)


class BalancesExporter(Exporter):
    name = "points_balances"
    title = _("Points: account balances")

    def columns(self, request):
        return [("account_id", _("Account")), ("programme", _("Programme")),
                ("account_kind", _("Account kind")), ("user_id", _("User ID")),
                ("merchant_id", _("Merchant ID")), ("balance", _("Points"))]

    def rows(self, request):
        query = (
            select(Account.id, Programme.code, Account.kind, Account.user_id,
                   Account.merchant_id, Account.balance)
            .join(Programme, Programme.id == Account.programme_id)
            .order_by(Account.id)
            .execution_options(yield_per=500)
        )
        for row in request.dbsession.execute(query):
            yield tuple(row)


class ProgrammesExporter(Exporter):
    name = "points_programmes"
    title = _("Points: programmes")

    def columns(self, request):
        return [("code", _("Code")), ("name", _("Name (Japanese)")),
                ("name_en", _("Name (English)")), ("spend_from", _("Spending from")),
                ("spend_until", _("Spending until")), ("expiry_kind", _("Expiry")),
                ("expires_on", _("Expiry date")), ("expiry_days", _("Expiry days")),
                ("categories", _("Categories")), ("budget", _("Budget"))]

    def rows(self, request):
        for p in request.dbsession.scalars(select(Programme).order_by(Programme.id)):
            yield (p.code, p.name, p.name_en, p.spend_from, p.spend_until, p.expiry_kind,
                   p.expires_on, p.expiry_days, " ".join(p.categories or []), p.budget)


class PendingGrantsExporter(Exporter):
    name = "points_pending_grants"
    title = _("Points: grants needing approval")

    def columns(self, request):
        return [("id", _("Number")), ("programme", _("Programme")), ("user_id", _("User ID")),
                ("amount", _("Points")), ("reason", _("Reason")),
                ("requested_by", _("Asked by")), ("requested_at", _("Asked at")),
                ("status", _("State")), ("decided_by", _("Decided by")),
                ("decided_at", _("Decided at")), ("transfer_id", _("Transfer"))]

    def rows(self, request):
        query = (select(PendingGrant, Programme.code)
                 .join(Programme, Programme.id == PendingGrant.programme_id)
                 .order_by(PendingGrant.id).execution_options(yield_per=500))
        for g, code in request.dbsession.execute(query):
            yield (g.id, code, g.user_id, g.amount, g.reason, g.requested_by, g.requested_at,
                   g.status, g.decided_by, g.decided_at, g.transfer_id)


EXPORTERS = (TransfersExporter, BalancesExporter, ProgrammesExporter, PendingGrantsExporter)
