"""Kairan: an open Pyramid platform for municipal citizen portals."""


def main(global_config, **settings):
    """The paste app factory: ``kairan.config.configure`` does all the work."""
    from kairan.config import configure
    from kairan.pagecache.middleware import wrap

    config = configure(settings)
    return wrap(config.make_wsgi_app(), config.registry)
