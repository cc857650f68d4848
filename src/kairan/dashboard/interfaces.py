"""The dashboard's extension point: tiles on the resident's home page."""

from zope.interface import Attribute, Interface


class IDashboardTile(Interface):
    """One box on ``/dashboard``, registered with ``config.add_dashboard_tile(tile)``.

    The easiest way to write one is to subclass
    ``kairan.dashboard.services.DashboardTile``, set ``name``, ``title`` and
    ``template`` (a Chameleon fragment, not a whole page) and return the
    template's values from ``values(request)``::

        class PointsTile(DashboardTile):
            name = "points"
            title = _("My points")
            template = "my_addon:templates/points_tile.pt"

            def values(self, request):
                return {"balance": balance_of(request, request.user)}

    The page draws the tile's heading (``title``) itself; ``render`` returns
    only the body. A tile that raises is logged and replaced by a polite
    placeholder: it never breaks the page for the other tiles.
    """

    name = Attribute(
        "Unique name: lower-case letters, digits, '_', '.', '-' (e.g. 'points.balance'). "
        "Used in the setting kairan.dashboard.order and in HTML ids."
    )
    title = Attribute("A translatable heading shown above the tile.")
    order = Attribute(
        "An integer hint; tiles not named in kairan.dashboard.order are sorted by it, "
        "then by name (smaller first)."
    )
    permission = Attribute(
        "The permission (checked on the dashboard's context) the user needs to see "
        "the tile, or None for every signed-in user."
    )

    def is_visible(request):
        """True if the tile has something for ``request.user`` now (after the permission)."""

    def render(request):
        """The tile's body as an HTML string (escape every value you put into it)."""
