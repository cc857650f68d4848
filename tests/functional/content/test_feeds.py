"""/news.atom: a valid Atom 1.0 feed of the latest published news only."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest

from tests.functional.api.nodes import Tree

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def news_tree(dbsession):
    tree = Tree(dbsession)
    news = tree.add(tree.root, "folder", "news", "お知らせ")
    tree.add(news, "news", "old", "古いお知らせ", description="<b>太字</b> & 記号",
             modified=datetime(2026, 1, 1, tzinfo=UTC))
    tree.add(news, "news", "new", "新しいお知らせ", title_en="Fresh news",
             body="<p>本文です。</p>", modified=datetime(2026, 3, 1, tzinfo=UTC))
    tree.add(news, "news", "secret", "非公開", state="private")
    tree.add(tree.root, "page", "about", "市の紹介")
    tree.commit(reindex=False)
    return tree


def parse(response):
    assert response.content_type == "application/atom+xml"
    return ET.fromstring(response.body)


def test_feed_is_valid_atom_with_published_news_newest_first(news_tree, testapp):
    feed = parse(testapp.get("/news.atom", status=200))
    assert feed.tag == A + "feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(A + tag) is not None, tag
    assert feed.find(A + "author/" + A + "name").text
    assert feed.find(A + "updated").text == "2026-03-01T00:00:00Z"
    entries = feed.findall(A + "entry")
    assert [e.find(A + "title").text for e in entries] == ["新しいお知らせ", "古いお知らせ"]
    ids = [e.find(A + "id").text for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("tag:localhost,") for i in ids)
    for entry in entries:
        for tag in ("id", "title", "updated", "summary"):
            assert entry.find(A + tag) is not None
    links = [e.find(A + "link").get("href") for e in entries]
    assert links == ["http://localhost/news/new/", "http://localhost/news/old/"]
    # text is escaped by the serializer: markup in a summary stays text
    assert entries[1].find(A + "summary").text == "<b>太字</b> & 記号"
    assert b"<b>" not in testapp.get("/news.atom").body


def test_feed_in_english(news_tree, testapp):
    feed = parse(testapp.get("/news.atom", {"_LOCALE_": "en"}))
    assert feed.findall(A + "entry")[0].find(A + "title").text == "Fresh news"


def test_empty_feed_is_still_valid(testapp, dbsession):
    Tree(dbsession).commit(reindex=False)
    feed = parse(testapp.get("/news.atom", status=200))
    assert feed.find(A + "updated").text and not feed.findall(A + "entry")


def test_feed_title_is_translated(news_tree, testapp):
    assert parse(testapp.get("/news.atom")).find(A + "title").text.endswith("お知らせ")
    english = parse(testapp.get("/news.atom", {"_LOCALE_": "en"}))
    assert english.find(A + "title").text.endswith("News")
