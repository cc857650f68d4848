"""Refusing a query string that is not UTF-8, before any view or error page reads it.

WebOb raises ``UnicodeDecodeError`` the moment ``request.params`` is read,
and the layout reads it on every page (the search box), so even the error
page would fail: a bad byte in a URL must be a plain 400, not a 500.
"""

from urllib.parse import unquote_to_bytes

from pyramid.response import Response


def undecodable_query_tween_factory(handler, registry):
    def undecodable_query_tween(request):
        raw = request.environ.get("QUERY_STRING", "")
        if raw:
            try:
                unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
            except UnicodeDecodeError:
                if request.path.startswith("/api/"):
                    return Response(
                        json_body={"error": "bad_request",
                                   "message": "The query string is not valid UTF-8."},
                        status=400, charset="utf-8")
                return Response("400 Bad Request: the address is not valid UTF-8.\n",
                                status=400, content_type="text/plain", charset="utf-8")
        return handler(request)

    return undecodable_query_tween
