"""``/sitemap.xml``: every published page a search engine may index (sitemaps.org 0.9)."""

from xml.etree import ElementTree as ET

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.content.feeds import base_url, visible_nodes_query
from kairan.content.models import Node

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The protocol's limit per file; a city portal stays far below it.
MAX_URLS = 50_000


def build_sitemap(request):
    site = base_url(request)
    query = visible_nodes_query().order_by(Node.path).limit(MAX_URLS)
    ET.register_namespace("", SITEMAP)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    rows = request.dbsession.execute(query.with_only_columns(Node.path, Node.modified))
    for path, modified in rows:
        url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = site + path
        if modified is not None:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = (
                modified.isoformat().replace("+00:00", "Z"))
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True)


@view_config(route_name="content.sitemap", request_method="GET",
             permission=NO_PERMISSION_REQUIRED)
def sitemap(request):
    response = Response(body=build_sitemap(request), content_type="application/xml",
                        charset="utf-8")
    response.cache_control.max_age = 3600
    return response


def includeme(config):
    """``/sitemap.xml`` (route ``content.sitemap``): public, published content only."""
    config.add_route("content.sitemap", "/sitemap.xml")
    config.scan("kairan.content.sitemap")
