"""The resident's dashboard."""

from pyramid.view import view_config

from kairan.dashboard.services import render_tile, visible_tiles
from kairan.i18n.translation import _
from kairan.security.permissions import Permission


@view_config(route_name="dashboard",
             renderer="kairan_theme_default:templates/dashboard/dashboard.pt",
             permission=Permission.MEMBER)
def dashboard(request):
    translate = request.localizer.translate
    tiles = []
    for tile in visible_tiles(request):
        html, ok = render_tile(request, tile)
        tiles.append({"name": tile.name, "title": translate(tile.title), "html": html, "ok": ok})
    request.response.headers["Cache-Control"] = "no-store"
    return {"tiles": tiles, "page_title": translate(_("My page"))}
