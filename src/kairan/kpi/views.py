"""The operators' KPI page and its CSV downloads (aggregates only, so GET and not audited)."""

import csv
import io
import logging

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from kairan.export.writers import BOM, cell_value
from kairan.i18n.translation import _
from kairan.kpi.charts import bar_chart, format_number
from kairan.kpi.services import allowed_kpis, kpi_series, months_between, parse_range
from kairan.security.permissions import Permission

log = logging.getLogger(__name__)


def _series(request, provider, start, end):
    """The provider's series, or None if it raised (logged; the page goes on)."""
    try:
        with request.dbsession.begin_nested():
            return kpi_series(request, provider, start, end)
    except Exception:  # noqa: BLE001 - one broken add-on must not break the page
        log.exception("KPI %r failed for %s..%s", provider.name, start, end)
        return None


@view_config(route_name="kpi.list", renderer="kairan_theme_default:templates/kpi/list.pt",
             permission=Permission.VIEW_KPI)
def kpi_list(request):
    translate = request.localizer.translate
    start, end, errors = parse_range(request.params)
    request.response.headers["Cache-Control"] = "no-store"
    kpis = []
    if errors:
        request.response.status_int = 400
    else:
        for provider in allowed_kpis(request):
            series = _series(request, provider, start, end)
            title = translate(provider.title)
            unit = translate(provider.unit) if provider.unit else ""
            item = {"name": provider.name, "title": title, "unit": unit, "series": series,
                    "chart": None, "rows": []}
            if series is not None:
                top_month, top_value = max(series, key=lambda mv: mv[1])
                description = translate(_(
                    "Bar chart of ${title} per month from ${start} to ${end}. "
                    "Highest: ${value} in ${month}. The numbers are also in the table.",
                    mapping={"title": title, "start": start, "end": end,
                             "value": format_number(top_value), "month": top_month}))
                item["chart"] = bar_chart(f"kpi-{provider.name}-chart", title, description,
                                          series)
                item["rows"] = [(m, format_number(v)) for m, v in series]
            kpis.append(item)
    return {
        "kpis": kpis, "start": start, "end": end, "errors": errors,
        "values": {"start": request.params.get("start", start),
                   "end": request.params.get("end", end)},
        "query": {"start": start, "end": end},
        "page_title": translate(_("Key figures")),
    }


def _csv_response(request, header, rows, filename):
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell_value(h) for h in header])
    for row in rows:
        writer.writerow([cell_value(v) for v in row])
    response = Response(body=buffer.getvalue().encode("utf-8"), content_type="text/csv",
                        charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _bad_range(request, errors):
    translate = request.localizer.translate
    message = " ".join(translate(m) for m in errors.values())
    return Response(message, status=400, content_type="text/plain", charset="utf-8")


def _heading(request, provider):
    translate = request.localizer.translate
    title = translate(provider.title)
    return f"{title} ({translate(provider.unit)})" if provider.unit else title


@view_config(route_name="kpi.csv", permission=Permission.VIEW_KPI)
def kpi_csv(request):
    start, end, errors = parse_range(request.params)
    if errors:
        return _bad_range(request, errors)
    name = request.matchdict["name"]
    provider = next((p for p in allowed_kpis(request) if p.name == name), None)
    if provider is None:
        raise HTTPNotFound()
    series = kpi_series(request, provider, start, end)
    header = [request.localizer.translate(_("Month")), _heading(request, provider)]
    return _csv_response(request, header, series, f"kairan-kpi-{name}-{start}-{end}.csv")


@view_config(route_name="kpi.csv_all", permission=Permission.VIEW_KPI)
def kpi_csv_all(request):
    start, end, errors = parse_range(request.params)
    if errors:
        return _bad_range(request, errors)
    providers = allowed_kpis(request)
    # a KPI that fails leaves its column empty instead of losing the whole file
    columns = [dict(_series(request, p, start, end) or ()) for p in providers]
    months = months_between(start, end)
    header = [request.localizer.translate(_("Month"))] + [_heading(request, p) for p in providers]
    rows = ([month] + [column.get(month) for column in columns] for month in months)
    return _csv_response(request, header, rows, f"kairan-kpi-all-{start}-{end}.csv")
