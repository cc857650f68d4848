def includeme(config):
    """Generic views: the layout helper, error pages, language switch, health check."""
    from pyramid.events import BeforeRender
    from pyramid.security import NO_PERMISSION_REQUIRED

    from kairan.views.layout import add_layout
    from kairan.views.templates import serialise_compilation

    config.include("pyramid_chameleon")
    serialise_compilation()
    config.add_subscriber(add_layout, BeforeRender)
    config.add_static_view("static", "kairan_theme_default:static", cache_max_age=86400,
                           permission=NO_PERMISSION_REQUIRED)
    config.add_route("views.language", "/language/{locale}")
    config.add_route("views.health", "/healthz")
    config.add_route("views.robots", "/robots.txt")
    config.scan(".errors")
    config.scan(".misc")
