"""The search page (works without JavaScript; the layout's search box submits here)."""

from zoneinfo import ZoneInfo

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.content.search.services import MAX_QUERY_LENGTH, search
from kairan.i18n.translation import _

TOKYO = ZoneInfo("Asia/Tokyo")


def page_number(request):
    try:
        page = int(request.params.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), 10_000)


@view_config(route_name="content.search", request_method="GET",
             permission=NO_PERMISSION_REQUIRED,
             renderer="kairan_theme_default:templates/search/results.pt")
def search_page(request):
    query = request.params.get("q", "").strip()[:MAX_QUERY_LENGTH]
    translate = request.localizer.translate
    results = None
    summary = ""
    if query:
        results = search(request.dbsession, query, request.locale_name,
                         page_number(request),
                         request.registry.settings["kairan.search.page_size"])
        if results.total:
            summary = translate(_("Results for “${query}”: ${count}",
                                  mapping={"count": results.total, "query": query}))
        else:
            summary = translate(_("No results for “${query}”. Try other or fewer words.",
                                  mapping={"query": query}))

    def page_url(page):
        return request.route_path("content.search", _query={"q": query, "page": page})

    page_label = ""
    if results is not None and results.total:
        page_label = translate(_("Page ${page} of ${pages}",
                                 mapping={"page": results.page, "pages": results.pages}))
    title = translate(_("Search")) if not query else translate(
        _("Search results: ${query}", mapping={"query": query}))
    return {
        "page_title": title,
        "query": query,
        "results": results,
        "summary": summary,
        "page_label": page_label,
        "page_url": page_url,
        "tz": TOKYO,
    }
