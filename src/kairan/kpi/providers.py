"""The core's own KPI, registered through ``add_kpi`` like any add-on's."""

from sqlalchemy import func, select

from kairan.i18n.translation import _
from kairan.kpi.services import KpiProvider


class MonthlyActiveUsers(KpiProvider):
    """Residents who signed in or acted in the month (distinct users)."""

    name = "mau"
    title = _("Monthly active users")
    unit = _("people")

    def monthly(self, request, start_month, end_month):
        from kairan.kpi.models import MonthlyActivity

        query = (
            select(MonthlyActivity.month, func.count(MonthlyActivity.user_id.distinct()))
            .where(MonthlyActivity.month >= start_month, MonthlyActivity.month <= end_month)
            .group_by(MonthlyActivity.month)
        )
        return {month: count for month, count in request.dbsession.execute(query)}
