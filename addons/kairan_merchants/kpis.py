"""KPIs: merchants by category, shops by area, applications by status, days to a decision.

The tables are small (hundreds to a few thousand rows), so each provider reads
the few columns it needs once and counts per Asia/Tokyo month in Python.
"""

from sqlalchemy import func, select

from kairan.i18n.translation import _
from kairan.kpi.services import KpiProvider, month_of, months_between
from kairan_merchants.models import (
    ApplicationEvent,
    Merchant,
    MerchantApplication,
    MerchantBranch,
)
from kairan_merchants.services import CATEGORY_CODES

# one message per category: a translated title cannot be nested in another's mapping
CATEGORY_TITLES = {
    "supermarket": _("Merchants: supermarkets"),
    "convenience_store": _("Merchants: convenience stores"),
    "drugstore": _("Merchants: drugstores"),
    "restaurant": _("Merchants: restaurants and cafés"),
    "retail": _("Merchants: other retail shops"),
    "service": _("Merchants: services"),
    "lodging": _("Merchants: lodging"),
    "other": _("Merchants: other"),
}


def _cumulative(times, start, end):
    """How many of ``times`` fall in or before each month from ``start`` to ``end``."""
    months = sorted(month_of(t) for t in times)
    result, index = {}, 0
    for month in months_between(start, end):
        while index < len(months) and months[index] <= month:
            index += 1
        result[month] = index
    return result


def _per_month(times, start, end):
    result = {}
    for when in times:
        month = month_of(when)
        if start <= month <= end:
            result[month] = result.get(month, 0) + 1
    return result


class MerchantsInCategory(KpiProvider):
    """Merchants registered by the end of each month in one category."""

    unit = _("merchants")

    def __init__(self, code):
        self.code = code
        self.name = f"merchants.category.{code}"
        self.title = CATEGORY_TITLES[code]

    def monthly(self, request, start_month, end_month):
        times = request.dbsession.scalars(
            select(Merchant.created).where(Merchant.category == self.code))
        return _cumulative(list(times), start_month, end_month)


class ShopsInArea(KpiProvider):
    """Shops (branches) open at the end of each month in one area (registered by then and
    not closed by then)."""

    unit = _("shops")

    def __init__(self, area):
        self.code = area.code
        self.name = f"merchants.area.{area.code}"
        self.title = _("Shops in ${area}", mapping={"area": area.title})

    def monthly(self, request, start_month, end_month):
        rows = request.dbsession.execute(
            select(MerchantBranch.created, MerchantBranch.closed_at)
            .where(MerchantBranch.area == self.code)).all()
        opened = _cumulative([r.created for r in rows], start_month, end_month)
        closed = _cumulative([r.closed_at for r in rows if r.closed_at is not None],
                             start_month, end_month)
        return {month: opened[month] - closed.get(month, 0) for month in opened}


class ApplicationsReceived(KpiProvider):
    name = "merchants.applications.received"
    title = _("Shop applications received (e-mail confirmed)")
    unit = _("applications")

    def monthly(self, request, start_month, end_month):
        times = request.dbsession.scalars(select(MerchantApplication.confirmed_at).where(
            MerchantApplication.confirmed_at.is_not(None)))
        return _per_month(list(times), start_month, end_month)


class ApplicationsDecided(KpiProvider):
    """Applications approved (or rejected) in each month."""

    unit = _("applications")

    def __init__(self, status, title):
        self.status = status
        self.name = f"merchants.applications.{status}"
        self.title = title

    def monthly(self, request, start_month, end_month):
        times = request.dbsession.scalars(select(MerchantApplication.decided_at).where(
            MerchantApplication.status == self.status,
            MerchantApplication.decided_at.is_not(None)))
        return _per_month(list(times), start_month, end_month)


class ApplicationsWaiting(KpiProvider):
    name = "merchants.applications.waiting"
    title = _("Shop applications waiting for a decision at the end of the month")
    unit = _("applications")

    def monthly(self, request, start_month, end_month):
        # a withdrawn application stops waiting when it is withdrawn (its event's time)
        withdrawn = (select(ApplicationEvent.application_id, ApplicationEvent.at)
                     .where(ApplicationEvent.kind == "withdrawn").subquery())
        rows = request.dbsession.execute(
            select(MerchantApplication.confirmed_at,
                   func.coalesce(MerchantApplication.decided_at, withdrawn.c.at))
            .outerjoin(withdrawn, withdrawn.c.application_id == MerchantApplication.id)
            .where(MerchantApplication.confirmed_at.is_not(None))).all()
        spans = [(month_of(c), month_of(d) if d else None) for c, d in rows]
        return {month: sum(1 for c, d in spans if c <= month and (d is None or d > month))
                for month in months_between(start_month, end_month)}


class DaysToDecision(KpiProvider):
    name = "merchants.applications.days_to_decision"
    title = _("Average days from application to decision")
    unit = _("days")

    def monthly(self, request, start_month, end_month):
        rows = request.dbsession.execute(
            select(MerchantApplication.confirmed_at, MerchantApplication.decided_at).where(
                MerchantApplication.confirmed_at.is_not(None),
                MerchantApplication.decided_at.is_not(None))).all()
        spans = {}
        for confirmed, decided in rows:
            month = month_of(decided)
            if start_month <= month <= end_month:
                days = (decided - confirmed).total_seconds() / 86400
                spans.setdefault(month, []).append(days)
        return {month: round(sum(days) / len(days), 1) for month, days in spans.items()}


def kpi_providers(settings):
    providers = [MerchantsInCategory(code) for code in CATEGORY_CODES]
    providers += [ShopsInArea(area) for area in settings["kairan.merchants.area_list"]]
    providers += [
        ApplicationsReceived(),
        ApplicationsDecided("approved", _("Shop applications approved")),
        ApplicationsDecided("rejected", _("Shop applications rejected")),
        ApplicationsWaiting(),
        DaysToDecision(),
    ]
    return providers
