def includeme(config):
    """The JSON API under ``/api/v1`` and its OpenAPI document.

    Routes: ``api.content`` (``/api/v1/content/*traverse``: read, create,
    update, trash, workflow), ``api.search``, ``api.session`` (who is signed
    in, and the CSRF token) and ``api.openapi`` (public).
    Errors are JSON ``{"error", "message", "fields"}`` in the request's
    language; the catalogue in ``kairan/api/locale`` also holds the search
    page's strings. A tween answers 400 to any URL whose query string is
    not UTF-8 (WebOb would raise on ``request.params`` in every view and
    page, error pages included).
    """
    import os

    from pyramid.tweens import EXCVIEW

    from kairan.api.errors import register_http_error_views

    # An absolute path, not "kairan.api:locale": under pytest's assertion
    # rewriting the package's loader is one pkg_resources cannot read.
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_route("api.search", "/api/v1/search")
    config.add_route("api.session", "/api/v1/session")
    config.add_route("api.content", "/api/v1/content/*traverse")
    register_http_error_views(config, ("api.content", "api.search", "api.session",
                                       "api.openapi"))
    # above the exception view tween: the error pages read request.params too
    config.add_tween("kairan.api.tweens.undecodable_query_tween_factory", over=EXCVIEW)
    config.scan(".errors")
    config.scan(".views")
