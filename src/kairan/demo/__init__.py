"""The demo city, 回覧板市 (Kairan City): content and users for ``kairan demo``.

``kairan.demo.services.load_demo(dbsession, settings)`` creates what is
missing and leaves everything else alone, so running it twice changes
nothing.
"""


def includeme(config):
    """``config.add_demo_loader(loader)``: an add-on's sample data (``IDemoLoader``)."""
    from kairan.demo.services import add_demo_loader

    config.add_directive("add_demo_loader", add_demo_loader)
