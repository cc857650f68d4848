"""KPIs: points issued and spent per month (Asia/Tokyo months).

Issued: points leaving the programmes' issuing accounts (grants, earning
rules, campaigns), net of nothing: a correction is not an issue. Spent:
points arriving on merchants' accounts (payments; refunds are counted by
the payment step's own KPI later).
"""

from sqlalchemy import func, literal_column, select

from kairan.i18n.translation import _
from kairan.kpi.services import KpiProvider
from kairan_points.models import ISSUER, MERCHANT, Account, Line, Transfer


def tokyo_month(dbsession, column):
    """SQL for the 'YYYY-MM' of a stored UTC time in Japan (UTC+9, no daylight saving)."""
    if dbsession.get_bind().dialect.name == "postgresql":
        return func.to_char(column + literal_column("interval '9 hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+9 hours")


def monthly_sum(request, kind, negative, start_month, end_month):
    month = tokyo_month(request.dbsession, Transfer.at).label("month")
    amount = -Line.amount if negative else Line.amount
    query = (
        select(month, func.sum(amount))
        .select_from(Transfer)
        .join(Line, Line.transfer_id == Transfer.id)
        .join(Account, Account.id == Line.account_id)
        .where(Account.kind == kind, Line.amount < 0 if negative else Line.amount > 0)
        .group_by(month)
    )
    found = {m: int(total) for m, total in request.dbsession.execute(query)}
    return {m: v for m, v in found.items() if start_month <= m <= end_month}


class PointsIssued(KpiProvider):
    name = "points.issued"
    title = _("Points issued")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, ISSUER, True, start_month, end_month)


class PointsSpent(KpiProvider):
    name = "points.spent"
    title = _("Points spent at shops")
    unit = _("points")

    def monthly(self, request, start_month, end_month):
        return monthly_sum(request, MERCHANT, False, start_month, end_month)


KPIS = (PointsIssued, PointsSpent)
