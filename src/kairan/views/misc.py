"""Language switch, health check and robots.txt."""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text

from kairan.i18n.translation import LOCALE_COOKIE
from kairan.security.assurance import safe_came_from


@view_config(route_name="views.language", permission=NO_PERMISSION_REQUIRED)
def switch_language(request):
    """Remember the chosen language in a cookie (no database write) and go back."""
    locale = request.matchdict["locale"]
    response = HTTPSeeOther(safe_came_from(request, request.params.get("came_from"), "/"))
    if locale in request.registry.settings["kairan.locales"]:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, path="/",
                            samesite="Lax", httponly=True,
                            secure=request.registry.settings["kairan.production"])
    return response


@view_config(route_name="views.health", renderer="json", permission=NO_PERMISSION_REQUIRED)
def health(request):
    request.dbsession.execute(text("SELECT 1"))
    return {"status": "ok"}


@view_config(route_name="views.robots", permission=NO_PERMISSION_REQUIRED)
def robots(request):
    body = (
        "User-agent: *\nDisallow: /manage/\nDisallow: /api/\n"
        f"Sitemap: {request.application_url}/sitemap.xml\n"
    )
    return Response(body, content_type="text/plain", charset="utf-8")
