"""The Atom 1.0 feed of the latest published news (``/news.atom``).

Built with ElementTree, so every title and summary is escaped by the
serializer. Entry ids are tag URIs that stay the same when the site moves
or a news item is renamed (RFC 4151).
"""

from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import func, select

from kairan.content.models import Node
from kairan.content.search.text import html_to_text
from kairan.i18n.translation import _

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 20
SUMMARY_LENGTH = 300


def base_url(request):
    """The site's public address: ``kairan.base_url``, else the request's."""
    return (request.registry.settings.get("kairan.base_url") or request.application_url).rstrip("/")


def visible_nodes_query(*criteria):
    """Published nodes outside the trash, with no ancestor in the trash."""
    trashed = Node.__table__.alias("trashed")
    hidden_by_ancestor = (
        select(trashed.c.id)
        .where(trashed.c.deleted_at.is_not(None),
               func.substr(Node.path, 1, func.length(trashed.c.path)) == trashed.c.path)
        .exists()
    )
    return select(Node).where(Node.state == "published", Node.deleted_at.is_(None),
                              ~hidden_by_ancestor, *criteria)


def isoformat(value):
    return value.isoformat().replace("+00:00", "Z")


def latest_news(dbsession, limit=FEED_SIZE):
    published = func.coalesce(Node.published_at, Node.modified)
    query = visible_nodes_query(Node.type == "news").order_by(published.desc(), Node.id.desc())
    return list(dbsession.scalars(query.limit(limit)))


def _tag_uri(request, node):
    host = urlsplit(base_url(request)).hostname or "localhost"
    created = node.created or node.modified
    return f"tag:{host},{created.strftime('%Y-%m-%d')}:node/{node.id}"


def build_feed(request, items):
    locale = request.locale_name
    site = base_url(request)
    settings = request.registry.settings
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": locale})

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    title = settings["kairan.site_title"]
    sub(feed, "title", title + " — " + request.localizer.translate(_("News")))
    sub(feed, "id", site + "/news.atom")
    sub(feed, "link", rel="self", href=site + "/news.atom", type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=site + "/", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", title)
    sub(author, "uri", site + "/")
    updated = max((n.modified for n in items), default=None)
    sub(feed, "updated", isoformat(updated) if updated else "1970-01-01T00:00:00Z")
    for node in items:
        entry = sub(feed, "entry")
        sub(entry, "title", node.localized("title", locale)[0])
        sub(entry, "id", _tag_uri(request, node))
        sub(entry, "link", rel="alternate", href=site + node.path, type="text/html")
        sub(entry, "updated", isoformat(node.modified))
        sub(entry, "published", isoformat(node.published_at or node.modified))
        summary = node.localized("description", locale)[0] or html_to_text(
            node.localized("body", locale)[0])
        if len(summary) > SUMMARY_LENGTH:
            summary = summary[:SUMMARY_LENGTH] + "…"
        sub(entry, "summary", summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@view_config(route_name="content.news_feed", request_method="GET",
             permission=NO_PERMISSION_REQUIRED)
def news_feed(request):
    body = build_feed(request, latest_news(request.dbsession))
    response = Response(body=body, content_type="application/atom+xml", charset="utf-8")
    response.cache_control.max_age = 300
    return response


def includeme(config):
    """``/news.atom`` (route ``content.news_feed``): public Atom feed of published news."""
    config.add_route("content.news_feed", "/news.atom")
    config.scan("kairan.content.feeds")
