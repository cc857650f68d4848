"""KPIs: the ``add_kpi`` directive, month arithmetic and the activity record.

Months are strings ``YYYY-MM`` in Asia/Tokyo: a resident who signs in at
23:30 UTC on 31 January is active in February, as the city counts it.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from zope.interface import implementer

from kairan.directives import register_named
from kairan.kpi.interfaces import IKpiProvider
from kairan.security.permissions import Permission

TOKYO = ZoneInfo("Asia/Tokyo")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
RESERVED_NAMES = frozenset({"all"})


@implementer(IKpiProvider)
class KpiProvider:
    """Base class: set ``name``, ``title``, ``unit``; override ``monthly``."""

    name = ""
    title = ""
    unit = ""
    permission = Permission.VIEW_KPI

    def monthly(self, request, start_month, end_month):
        return {}


def add_kpi(config, provider):
    """Directive: register an ``IKpiProvider`` (see ``kairan.directives.register_named``)."""
    register_named(config, provider, IKpiProvider, "kairan.kpi", "KPI", "provider",
                   reserved=RESERVED_NAMES)


def registered_kpis(registry) -> dict:
    """``{name: provider}`` of every registered KPI, sorted by name."""
    return dict(sorted(registry.getUtilitiesFor(IKpiProvider)))


def allowed_kpis(request, context=None):
    context = context if context is not None else request.context
    return [p for p in registered_kpis(request.registry).values()
            if request.has_permission(getattr(p, "permission", Permission.VIEW_KPI), context)]


# -- months --------------------------------------------------------------------

def month_of(when=None) -> str:
    """The Asia/Tokyo month ``YYYY-MM`` of an aware datetime (default: now)."""
    when = when if when is not None else datetime.now(TOKYO)
    if when.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware time")
    return when.astimezone(TOKYO).strftime("%Y-%m")


def parse_month(value) -> str:
    """``value`` if it is a valid ``YYYY-MM`` (year 2000-2999), else ValueError."""
    match = MONTH_RE.match(value or "")
    if not match or not 2000 <= int(match.group(1)) <= 2999:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    return value


def add_months(month: str, count: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + number - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive (empty if ``start`` > ``end``)."""
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def kpi_series(request, provider, start: str, end: str) -> list[tuple[str, float]]:
    """``[(month, value)]`` for every month of the range, 0 where the provider has none."""
    values = provider.monthly(request, start, end) or {}
    return [(month, values.get(month, 0) or 0) for month in months_between(start, end)]


# -- activity ------------------------------------------------------------------

def record_activity(request_or_dbsession, user_id, when=None):
    """Count ``user_id`` as active in the Tokyo month of ``when`` (default now).

    Idempotent and safe under concurrency: one ``INSERT ... ON CONFLICT DO
    NOTHING``, so two sign-ins in one month race harmlessly. Takes a request
    (uses ``request.dbsession``) or a SQLAlchemy session; never commits.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from kairan.kpi.models import MonthlyActivity

    dbsession = getattr(request_or_dbsession, "dbsession", request_or_dbsession)
    dialect = dbsession.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(MonthlyActivity).values(user_id=user_id, month=month_of(when))
    dbsession.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "month"]))


MAX_MONTHS = 120


def parse_range(params, now=None):
    """``(start, end, errors)`` from the query parameters ``start`` and ``end``.

    Defaults: the last 12 months up to this month. ``errors`` maps a field
    name to a translatable message; when it is not empty the range is the
    default one and the caller answers 400.
    """
    from kairan.i18n.translation import _

    end_default = month_of(now)
    start_default = add_months(end_default, -11)
    errors = {}
    values = {}
    for field, default in (("start", start_default), ("end", end_default)):
        raw = (params.get(field) or "").strip()
        if not raw:
            values[field] = default
            continue
        try:
            values[field] = parse_month(raw)
        except ValueError:
            errors[field] = _("Enter a month as YYYY-MM, for example 2025-04.")
    if not errors:
        if values["start"] > values["end"]:
            errors["end"] = _("The last month must not be before the first month.")
        elif len(months_between(values["start"], values["end"])) > MAX_MONTHS:
            errors["end"] = _("Choose at most ${count} months.", mapping={"count": MAX_MONTHS})
    if errors:
        return start_default, end_default, errors
    return values["start"], values["end"], errors
