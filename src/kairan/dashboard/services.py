"""Dashboard tiles: the ``add_dashboard_tile`` directive, a base class, ordering, rendering."""

import logging

from pyramid.renderers import render
from zope.interface import implementer

from kairan.dashboard.interfaces import IDashboardTile
from kairan.directives import register_named

log = logging.getLogger(__name__)



@implementer(IDashboardTile)
class DashboardTile:
    """Base class for tiles: set ``name``, ``title``, ``template``; override ``values``.

    ``render`` renders ``template`` (an asset spec of a Chameleon fragment)
    with ``values(request)`` plus ``tile`` and ``request``. Override
    ``is_visible`` to hide the tile when it has nothing to say, or
    ``render`` to return HTML without a template.
    """

    name = ""
    title = ""
    order = 100
    permission = None
    template = None

    def is_visible(self, request):
        return True

    def values(self, request):
        return {}

    def render(self, request):
        values = dict(self.values(request))
        values.setdefault("tile", self)
        return render(self.template, values, request=request)


def add_dashboard_tile(config, tile):
    """Directive: register an ``IDashboardTile`` (see ``kairan.directives.register_named``)."""
    register_named(config, tile, IDashboardTile, "kairan.dashboard_tile", "dashboard tile",
                   "tile")


def registered_tiles(registry) -> dict:
    return dict(registry.getUtilitiesFor(IDashboardTile))


def ordered_tiles(registry):
    """Every tile: first those named in ``kairan.dashboard.order`` in that order, then the
    rest by their order hint, then name."""
    tiles = registered_tiles(registry)
    wanted = registry.settings.get("kairan.dashboard.order") or []
    if isinstance(wanted, str):
        wanted = wanted.split()
    first = [tiles[name] for name in dict.fromkeys(wanted) if name in tiles]
    rest = sorted((t for t in tiles.values() if t.name not in wanted),
                  key=lambda t: (getattr(t, "order", 100), t.name))
    return first + rest


def _guarded(request, tile, what, call):
    """Run ``call`` inside a savepoint; on any error log it and return None.

    The savepoint matters on PostgreSQL: a failed statement would otherwise
    poison the request's transaction, and every later tile (and the layout's
    own queries) would fail with it.
    """
    try:
        with request.dbsession.begin_nested():
            return call()
    except Exception:  # noqa: BLE001 - one broken add-on must not break the page
        log.exception("dashboard tile %r failed in %s", tile.name, what)
        return None


def visible_tiles(request, context=None):
    """The tiles ``request.user`` may see, in display order."""
    context = context if context is not None else request.context
    found = []
    for tile in ordered_tiles(request.registry):
        permission = getattr(tile, "permission", None)
        if permission is not None and not request.has_permission(permission, context):
            continue
        if _guarded(request, tile, "is_visible", lambda t=tile: bool(t.is_visible(request))):
            found.append(tile)
    return found


def render_tile(request, tile):
    """``(html, ok)``: the tile's body, or ``(None, False)`` if it raised (already logged)."""
    html = _guarded(request, tile, "render", lambda: tile.render(request))
    if html is None:
        return None, False
    return str(html), True
