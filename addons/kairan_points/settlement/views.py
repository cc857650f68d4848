"""A merchant's monthly statement: the printable page and the CSV download (its staff only).

The route's context comes from ``IMerchantDirectory.context_for``: its ACL
grants ``MERCHANT_PERMISSION`` to that merchant's staff only, so changing the
id in the address gives 403 (or 404 when there is no such merchant).
The download is a POST (CSRF token) because it writes an audit entry.
"""

import io

from kairan_merchants.interfaces import MERCHANT_PERMISSION, IMerchantDirectory
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from kairan.audit.services import audit, audit_now
from kairan.db.meta import utcnow
from kairan.export.writers import CONTENT_TYPES, iter_csv, write_xlsx
from kairan.i18n.translation import _
from kairan_points.errors import PointsRefused
from kairan_points.models import Programme
from kairan_points.services import TOKYO, tokyo_date
from kairan_points.settlement import services
from kairan_points.views import OPERATE

STATEMENT = "kairan_points:templates/settlement/statement.pt"

# The columns of the contractor's settlement file, one row per merchant and programme;
# a merchant's own statement has the same columns less its legal name and the programme's
# code (``STATEMENT_COLUMNS``). Rows are dicts keyed like these (``row_dict``).
COLUMNS = (
    ("period", _("Period")),
    ("merchant_id", _("Merchant ID")),
    ("merchant", _("Merchant")),
    ("legal_name", _("Legal name")),
    ("programme_code", _("Programme code")),
    ("programme", _("Programme")),
    ("payments", _("Payments")),
    ("payment_points", _("Points paid")),
    ("refunds", _("Refunds")),
    ("refund_points", _("Points refunded")),
    ("net", _("Net points")),
)
STATEMENT_COLUMNS = tuple(c for c in COLUMNS if c[0] not in ("legal_name", "programme_code"))
FIGURES = ("payments", "payment_points", "refunds", "refund_points", "net")


def _merchant_or_404(context):
    if getattr(context, "merchant", None) is None:
        raise HTTPNotFound()
    return context.merchant


def _merchant_name(request, merchant):
    locale = request.localizer.locale_name
    return merchant.name_en if locale == "en" and merchant.name_en else merchant.name


def row_dict(period, row, merchant="", legal_name="", programme_code="", programme=""):
    """One ``StatementRow`` as a dict keyed like ``COLUMNS``."""
    return {"period": period.code, "merchant_id": row.merchant_id, "merchant": merchant,
            "legal_name": legal_name, "programme_code": programme_code,
            "programme": programme, **{key: getattr(row, key) for key in FIGURES}}


def statement_dicts(request, statement, names, merchant_names):
    """The statement's rows as dicts keyed like ``COLUMNS`` (``names``: programme names)."""
    return [row_dict(statement.period, row, merchant=merchant_names.get(row.merchant_id, ""),
                     programme=names.get(row.programme_id, str(row.programme_id)))
            for row in statement.rows]


class RowsExporter:
    """What ``kairan.export.writers`` needs: a name, columns and rows."""

    def __init__(self, name, columns, rows):
        self.name, self._columns, self._rows = name, columns, rows

    def columns(self, request):
        return self._columns

    def rows(self, request):
        return iter(self._rows)


def _period(request, params):
    raw = params.get("period", "")
    if raw == "":
        today = tokyo_date(utcnow())
        return services.Period(today.year, today.month)
    return services.parse_period(raw)


def _tokyo(when):
    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def _user_name(request, user_id):
    from kairan.accounts.models import User

    user = request.dbsession.get(User, user_id) if user_id is not None else None
    return user.email if user is not None else "kairan points settle"


def _fmt(value):
    return f"{value:,}"


@view_config(route_name="points.merchant_statement", renderer=STATEMENT,
             permission=MERCHANT_PERMISSION, request_method="GET")
def merchant_statement(request):
    merchant = _merchant_or_404(request.context)
    translate = request.localizer.translate
    request.response.headers["Cache-Control"] = "no-store"
    values = {"page_title": translate(_("Monthly statement")),
              "merchant_name": _merchant_name(request, merchant), "merchant_id": merchant.id,
              "self_url": request.route_path("points.merchant_statement",
                                             merchant_id=merchant.id),
              "csv_url": request.route_path("points.merchant_statement_csv",
                                            merchant_id=merchant.id),
              "alert": None, "rows": [], "totals": None,
              "period": request.GET.get("period", "")[:7]}
    try:
        period = _period(request, request.GET)
    except PointsRefused as error:
        request.response.status_int = error.status
        return {**values, "alert": translate(error.message)}
    statement = services.merchant_statement(request.dbsession, period, merchant.id)
    names = services.programme_names(request.dbsession, request.localizer.locale_name)
    rows = [{**row, **{k: _fmt(row[k]) for k in FIGURES}}
            for row in statement_dicts(request, statement, names, {})]
    totals = statement.totals
    return {**values, "period": period.code, "rows": rows,
            "totals": {"payments": _fmt(totals.payments),
                       "payment_points": _fmt(totals.payment_points),
                       "refunds": _fmt(totals.refunds),
                       "refund_points": _fmt(totals.refund_points), "net": _fmt(totals.net)}}


@view_config(route_name="points.merchant_statement_csv", permission=MERCHANT_PERMISSION,
             request_method="POST", renderer=STATEMENT)
def merchant_statement_csv(request):
    merchant = _merchant_or_404(request.context)
    try:
        period = services.parse_period(request.POST.get("period", ""))
    except PointsRefused as error:
        request.response.status_int = error.status
        request.response.headers["Cache-Control"] = "no-store"
        translate = request.localizer.translate
        return {"page_title": translate(_("Monthly statement")),
                "merchant_name": _merchant_name(request, merchant), "merchant_id": merchant.id,
                "self_url": request.route_path("points.merchant_statement",
                                               merchant_id=merchant.id),
                "csv_url": request.path, "alert": translate(error.message), "rows": [],
                "totals": None, "period": ""}
    statement = services.merchant_statement(request.dbsession, period, merchant.id)
    names = services.programme_names(request.dbsession, request.localizer.locale_name)
    rows = statement_dicts(request, statement, names,
                           {merchant.id: _merchant_name(request, merchant)})
    exporter = RowsExporter("statement", STATEMENT_COLUMNS, rows)
    body = b"".join(iter_csv(request, exporter))
    audit(request, "points.statement.download", target=f"merchant:{merchant.id}",
          detail={"period": period.code, "rows": len(rows)})
    response = Response(body=body, content_type=CONTENT_TYPES["csv"].split(";")[0],
                        charset="utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statement-{merchant.id}-{period.code}.csv"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- the operators' settlement file --------------------------------------------------------

SETTLEMENT = "kairan_points:templates/settlement/settlement.pt"
FILE_FORMATS = ("csv", "xlsx")


def settlement_rows(request, period):
    """Every merchant's and programme's row of the period, as dicts keyed like ``COLUMNS``."""
    directory = request.registry.getUtility(IMerchantDirectory)
    rows = services.statement_rows(request.dbsession, period)
    programmes = {p.id: p for p in request.dbsession.scalars(select(Programme))}
    merchants = {}
    out = []
    for row in rows:
        if row.merchant_id not in merchants:
            merchants[row.merchant_id] = directory.get_merchant(request, row.merchant_id)
        merchant = merchants[row.merchant_id]
        programme = programmes.get(row.programme_id)
        out.append(row_dict(period, row, merchant=merchant.name if merchant else "",
                            legal_name=merchant.legal_name if merchant else "",
                            programme_code=programme.code if programme else "",
                            programme=programme.name if programme else ""))
    return out


def _settlement_page(request, period=None, alert=None, status=None):
    translate = request.localizer.translate
    request.response.headers["Cache-Control"] = "no-store"
    if status is not None:
        request.response.status_int = status
    rows = settlement_rows(request, period) if period is not None else []
    totals = {k: _fmt(sum(r[k] for r in rows)) for k in FIGURES}
    report = services.reconcile(request.dbsession, period) if period is not None else None
    closed = report.closed if report is not None else None
    return {"page_title": translate(_("Settlement")),
            "closed": closed is not None,
            "closed_at": _tokyo(closed.closed_at) if closed is not None else "",
            "closed_by": _user_name(request, closed.closed_by) if closed is not None else "",
            "mismatch": report is not None and closed is not None and not report.ok,
            "problems": report.problems if report is not None else [],
            "close_url": request.route_path("points.settlement_close"),
            "period": period.code if period is not None else "",
            "alert": translate(alert) if alert is not None else None,
            "rows": [{**r, **{k: _fmt(r[k]) for k in FIGURES}} for r in rows],
            "totals": totals if period is not None else None, "formats": FILE_FORMATS,
            "self_url": request.route_path("points.settlement"),
            "download_url": request.route_path("points.settlement_download")}


@view_config(route_name="points.settlement", renderer=SETTLEMENT, permission=OPERATE,
             request_method="GET")
def settlement_page(request):
    try:
        period = _period(request, request.GET)
    except PointsRefused as error:
        return _settlement_page(request, alert=error.message, status=error.status)
    return _settlement_page(request, period)


@view_config(route_name="points.settlement_download", renderer=SETTLEMENT, permission=OPERATE,
             request_method="POST")
def settlement_download(request):
    """The contractor's settlement file of a month: one row per merchant and programme."""
    fmt = request.POST.get("format", "")
    try:
        period = services.parse_period(request.POST.get("period", ""))
    except PointsRefused as error:
        return _settlement_page(request, alert=error.message, status=error.status)
    if fmt not in FILE_FORMATS:
        return _settlement_page(request, period, alert=_("Choose CSV or XLSX."), status=400)
    rows = settlement_rows(request, period)
    exporter = RowsExporter(f"settlement-{period.code}", COLUMNS, rows)
    if fmt == "csv":
        body = b"".join(iter_csv(request, exporter))
    else:
        buffer = io.BytesIO()
        write_xlsx(request, exporter, buffer)
        body = buffer.getvalue()
    audit(request, "points.settlement.download", target=f"points-period:{period.code}",
          detail={"period": period.code, "format": fmt, "rows": len(rows)})
    response = Response(body=body, content_type=CONTENT_TYPES[fmt].split(";")[0])
    if fmt == "csv":
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="settlement-{period.code}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@view_config(route_name="points.settlement_close", renderer=SETTLEMENT, permission=OPERATE,
             request_method="POST", assurance="points.settle")
def settlement_close(request):
    """Close an ended month: record its totals; a closed month is never closed again."""
    try:
        period = services.parse_period(request.POST.get("period", ""))
        closed = services.close_period(request.dbsession, period, request.user.id, utcnow())
    except PointsRefused as error:
        request.tm.doom()
        period_text = request.POST.get("period", "")[:7]
        audit_now(request, "points.settlement.close", target=f"points-period:{period_text}",
                  outcome="refused", detail={"reason": type(error).__name__})
        try:
            shown = services.parse_period(period_text)
        except PointsRefused:
            shown = None
        return _settlement_page(request, shown, alert=error.message, status=error.status)
    rows = services.recorded_rows(request.dbsession, closed)
    audit(request, "points.settlement.close", target=f"points-period:{period.code}",
          detail={"period": period.code, "rows": len(rows),
                  "net": sum(r.net for r in rows)})
    request.session.flash(request.localizer.translate(_("The month is closed.")))
    return HTTPSeeOther(request.route_url("points.settlement", _query={"period": period.code}))


@view_config(route_name="points.settlement_close", permission=OPERATE, request_method="GET")
def settlement_close_return(request):
    """Where the step-up sends the operator back to (it keeps a POST's path, not its
    form): the settlement page of last month, the month usually being closed, to press
    the button again."""
    today = tokyo_date(utcnow())
    last = services.Period(today.year - (today.month == 1), (today.month - 2) % 12 + 1)
    return HTTPSeeOther(request.route_url("points.settlement", _query={"period": last.code}))
