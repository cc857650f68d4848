"""JSON errors of the API: ``{"error": code, "message": ..., "fields": {...}}``.

``code`` is a short stable string a client can switch on; ``message`` and the
field messages are in the request's language.
"""

import json

from pyramid.httpexceptions import HTTPClientError
from pyramid.view import exception_view_config

from kairan.i18n.translation import _


class ApiError(Exception):
    """Raised by an API view to answer ``status`` with a JSON error; the transaction aborts."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}


def error_response(request, status, code, message, fields=None, headers=None):
    translate = request.localizer.translate
    body = {"error": code, "message": translate(message)}
    if fields:
        body["fields"] = {name: translate(text) for name, text in fields.items()}
    response = request.response
    response.status_int = status
    response.content_type = "application/json"
    response.charset = "utf-8"
    response.text = json.dumps(body, ensure_ascii=False)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@exception_view_config(ApiError)
def api_error_view(exc, request):
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


# Pyramid's own 4xx exceptions (a bad CSRF token, a method no view answers)
# raised on an API route: the same JSON shape instead of an HTML page.
HTTP_MESSAGES = {
    400: ("bad_request", _("The request is not valid.")),
    401: ("unauthorized", _("Please sign in.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
}


def http_error_view(exc, request):
    status = exc.status_int
    if status == 403 and request.user is None:
        # not signed in: say so, as the site-wide forbidden view does
        status = 401
    code, message = HTTP_MESSAGES.get(status, ("error", _("The request is not valid.")))
    if status == 400 and type(exc).__name__ == "BadCSRFToken":
        code, message = "csrf", _("The CSRF token is missing or wrong: send it in X-CSRF-Token.")
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="kairan"'}
    return error_response(request, status, code, message, headers=headers)


def register_http_error_views(config, route_names):
    for route_name in route_names:
        # Every 4xx on an API route, 401/403/404 included, answers with a
        # string code; other URLs under /api/ get kairan.views.errors' JSON.
        config.add_exception_view(http_error_view, context=HTTPClientError,
                                  route_name=route_name)
