"""The operators' export page and downloads.

Downloads are POST forms, not links: each one writes an audit entry, and a
GET must never write to the database.
"""

import tempfile

from pyramid.httpexceptions import HTTPForbidden
from pyramid.response import FileIter, Response
from pyramid.view import view_config

from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.export.services import (
    FORMATS,
    allowed_exporters,
    get_exporter,
    stream_csv,
    write_export,
)
from kairan.export.writers import CONTENT_TYPES, TOKYO
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

TEMPLATE = "kairan_theme_default:templates/export/list.pt"


def _page(request, error=None):
    translate = request.localizer.translate
    exporters = [{"name": e.name, "title": translate(e.title)}
                 for e in allowed_exporters(request)]
    request.response.headers["Cache-Control"] = "no-store"
    return {"exporters": exporters, "formats": FORMATS, "error": error,
            "page_title": translate(_("Data export"))}


@view_config(route_name="export.list", renderer=TEMPLATE, permission=Permission.EXPORT,
             request_method="GET")
def export_list(request):
    return _page(request)


def _filename(name, extension):
    stamp = utcnow().astimezone(TOKYO).strftime("%Y%m%d-%H%M")
    return f"kairan-{name}-{stamp}.{extension}"


def _file_response(request, fileobj, content_type, filename):
    size = fileobj.tell()
    fileobj.seek(0)
    response = Response(content_type=content_type, app_iter=FileIter(fileobj))
    response.content_length = size
    return _attachment(response, filename)


def _attachment(response, filename):
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@view_config(route_name="export.download", renderer=TEMPLATE, permission=Permission.EXPORT,
             request_method="POST")
def export_download(request):
    """Download one exporter (``name``) or all of them (``name=all``, a ZIP) as ``format``."""
    name = request.POST.get("name", "")
    fmt = request.POST.get("format", "")
    if fmt not in FORMATS:
        request.response.status_int = 400
        return _page(request, _("Choose CSV or XLSX."))
    allowed = allowed_exporters(request)
    if name == "all":
        if not allowed:
            raise HTTPForbidden()
        audit(request, "export.download", target="all",
              detail={"exporter": "all", "format": fmt, "exporters": [e.name for e in allowed]})
        fileobj = tempfile.TemporaryFile()
        write_export(request, "all", fmt, fileobj, exporters=allowed)
        return _file_response(request, fileobj, CONTENT_TYPES["zip"], _filename("all", "zip"))
    exporter = get_exporter(request.registry, name)
    if exporter is None:
        request.response.status_int = 400
        return _page(request, _("There is no such export."))
    if exporter not in allowed:
        raise HTTPForbidden()
    audit(request, "export.download", target=name, detail={"exporter": name, "format": fmt})
    if fmt == "csv":
        # streamed after pyramid_tm has committed: stream_csv reads through its own session
        response = Response(content_type="text/csv", charset="utf-8",
                            app_iter=stream_csv(request, exporter))
        return _attachment(response, _filename(name, "csv"))
    fileobj = tempfile.TemporaryFile()
    write_export(request, name, "xlsx", fileobj)
    return _file_response(request, fileobj, CONTENT_TYPES["xlsx"], _filename(name, "xlsx"))
