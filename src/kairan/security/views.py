"""The step-up page: which stronger sign-in a page needs, and how to give it."""

from pyramid.view import view_config

from kairan.i18n.translation import _
from kairan.security.assurance import LEVELS, authenticators_for, safe_came_from
from kairan.security.permissions import Permission


@view_config(
    route_name="security.stepup",
    renderer="kairan_theme_default:templates/security/stepup.pt",
    permission=Permission.MEMBER,
)
def stepup(request):
    try:
        level = int(request.params.get("level", "2"))
    except ValueError:
        level = 2
    if level not in LEVELS:
        level = 2
    came_from = request.params.get("came_from", "/dashboard")
    methods = [
        {"title": a.title, "description": a.description, "level": a.level,
         "url": a.start_url(request, came_from, level)}
        for a in authenticators_for(request, level)
    ]
    return {
        "page_title": request.localizer.translate(_("Confirm it is you")),
        "level": level,
        "current_level": request.assurance.level,
        "methods": methods,
        "came_from": safe_came_from(request, came_from),
    }
