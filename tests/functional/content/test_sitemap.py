"""/sitemap.xml: published content only, absolute URLs, lastmod."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from tests.functional.api.nodes import Tree

S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_published_live_content(testapp, dbsession):
    tree = Tree(dbsession)
    guide = tree.add(tree.root, "folder", "guide", "くらし")
    tree.add(guide, "page", "tax", "税金", modified=datetime(2026, 2, 3, 4, 5, tzinfo=UTC))
    tree.add(guide, "page", "draft", "下書き", state="private")
    gone = tree.add(tree.root, "folder", "gone", "削除済み")
    tree.add(gone, "page", "child", "削除済みの中")
    gone.deleted_at = datetime(2026, 3, 1, tzinfo=UTC)
    tree.commit(reindex=False)
    response = testapp.get("/sitemap.xml", status=200)
    assert response.content_type == "application/xml"
    root = ET.fromstring(response.body)
    assert root.tag == S + "urlset"
    entries = {u.find(S + "loc").text: u.find(S + "lastmod").text for u in root}
    assert set(entries) == {"http://localhost/", "http://localhost/guide/",
                            "http://localhost/guide/tax/"}
    assert entries["http://localhost/guide/tax/"] == "2026-02-03T04:05:00Z"
