import os


def includeme(config):
    """Dashboard: the resident's home page ``/dashboard`` built from tiles.

    - Directive ``config.add_dashboard_tile(tile)`` registers an
      ``IDashboardTile``; two tiles with one name fail at start-up.
    - Tiles are shown in the order of the setting ``kairan.dashboard.order``
      (tile names); the others follow by their order hint, then name.
    - The core registers its own tiles ("account", "news") through the
      same directive.
    """
    from kairan.dashboard.services import add_dashboard_tile
    from kairan.dashboard.tiles import AccountTile, LatestNewsTile

    config.add_directive("add_dashboard_tile", add_dashboard_tile)
    # an absolute path: pytest loads kairan modules through its assertion-rewriting
    # importer, whose loader pkg_resources (behind "pkg:locale" specs) cannot read
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    config.add_route("dashboard", "/dashboard",
                     factory="kairan.security.permissions.site_root_factory")
    config.add_dashboard_tile(AccountTile())
    config.add_dashboard_tile(LatestNewsTile())
    config.scan(".views")
