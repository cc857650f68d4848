"""Friendly error pages in the visitor's language, plain JSON for the API.

An unexpected error shows a plain page without a stack trace; pyramid_tm
sees ``request.exception`` and aborts the transaction, so nothing commits.
"""

import json
import logging

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from kairan.audit.services import audit_now
from kairan.i18n.translation import _
from kairan.security.assurance import wants_json

log = logging.getLogger(__name__)


def json_error(request, status, message, **extra):
    response = request.response
    response.status_int = status
    response.content_type = "application/json"
    response.charset = "utf-8"
    body = {"error": status, "message": request.localizer.translate(message)}
    body.update(extra)
    response.text = json.dumps(body, ensure_ascii=False)
    return response


@notfound_view_config(renderer="kairan_theme_default:templates/errors/notfound.pt")
def notfound(request):
    if wants_json(request):
        return json_error(request, 404, _("Not found."))
    request.response.status_int = 404
    return {"page_title": request.localizer.translate(_("Page not found"))}


@forbidden_view_config(renderer="kairan_theme_default:templates/errors/forbidden.pt")
def forbidden(request):
    if request.user is None:
        if wants_json(request):
            response = json_error(request, 401, _("Please sign in."))
            response.headers["WWW-Authenticate"] = 'Bearer realm="kairan"'
            return response
        came_from = request.path_qs if request.method == "GET" else request.path
        return HTTPSeeOther(request.route_url("accounts.login", _query={"came_from": came_from}))
    # A signed-in user refused something is on record (anonymous visitors are
    # sent to sign in instead, and crawlers would only fill the log).
    audit_now(request, "access.denied", target=f"{request.method} {request.path}"[:300])
    if wants_json(request):
        return json_error(request, 403, _("You may not do this."))
    request.response.status_int = 403
    return {"page_title": request.localizer.translate(_("Access denied"))}


@exception_view_config(Exception, renderer="kairan_theme_default:templates/errors/error.pt")
def server_error(exc, request):
    log.exception("unexpected error on %s %s", request.method, request.path)
    if wants_json(request):
        return json_error(request, 500, _("Something went wrong on our side."))
    request.response.status_int = 500
    return {"page_title": request.localizer.translate(_("Something went wrong"))}
