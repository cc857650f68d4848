"""The step-up page: which stronger sign-in a page needs, and how to give it."""

from pyramid.view import view_config

from kairan.i18n.translation import _
from kairan.security.assurance import (
    LEVELS,
    IAssuranceAction,
    authenticators_for,
    enrolable_authenticators,
    safe_came_from,
)
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
    # Only methods that reach the level asked for: asking for level 3 never
    # sends the resident through a level 2 step first.
    methods = [
        {"title": a.title, "description": a.description, "level": a.level,
         "url": a.start_url(request, came_from, level)}
        for a in authenticators_for(request, level)
    ]
    enrol = [{"title": a.title, "description": a.description, "level": a.level, "url": url}
             for a, url in enrolable_authenticators(request, level)]
    action = request.registry.queryUtility(IAssuranceAction,
                                           name=request.params.get("action", ""))
    return {
        "page_title": request.localizer.translate(_("Confirm it is you")),
        "action_title": request.localizer.translate(action.title) if action else None,
        "enrol": enrol,
        "level": level,
        "current_level": request.assurance.level,
        "methods": methods,
        "came_from": safe_came_from(request, came_from),
    }
