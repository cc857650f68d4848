"""Search through the real index on SQLite (FTS5) and PostgreSQL (tsvector)."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kairan.content.search.services import reindex_all, search
from tests.functional.api.nodes import Tree


@pytest.fixture
def tree(dbsession):
    tree = Tree(dbsession)
    news = tree.add(tree.root, "folder", "news", "お知らせ")
    tree.add(news, "news", "drill", "防災訓練のお知らせ",
             body="<p>市の防災訓練を行います。</p><script>alert('x')</script>",
             title_en="Disaster drill", body_en="<p>The city holds a disaster drill.</p>")
    tree.add(news, "news", "garbage", "ごみの出し方",
             body="<p>燃えるごみは月曜日です。防災とは関係ありません。</p>")
    tree.add(news, "news", "secret", "非公開の防災計画", state="private",
             body="<p>防災</p>")
    tree.add(tree.root, "page", "tax", "市民税について", body="<p>税の納付は5月です。</p>")
    tree.commit()
    return tree


def titles(results):
    return [hit.title for hit in results.hits]


def test_two_character_word_inside_a_sentence_is_found(tree, dbsession):
    results = search(dbsession, "防災", "ja")
    assert "防災訓練のお知らせ" in titles(results)
    assert "ごみの出し方" in titles(results)


def test_title_matches_come_first_and_private_content_is_never_found(tree, dbsession):
    results = search(dbsession, "防災", "ja")
    assert titles(results)[0] == "防災訓練のお知らせ"
    assert "非公開の防災計画" not in titles(results)
    assert results.total == 2


def test_terms_are_and_ed_and_a_long_word_is_a_phrase(tree, dbsession):
    assert titles(search(dbsession, "防災 月曜日", "ja")) == ["ごみの出し方"]
    assert titles(search(dbsession, "防災訓練", "ja")) == ["防災訓練のお知らせ"]
    # the bigrams of 訓防 do not occur in that order anywhere
    assert search(dbsession, "訓防", "ja").total == 0


def test_english_words_are_case_insensitive_in_the_english_index(tree, dbsession):
    results = search(dbsession, "DISASTER Drill", "en")
    assert titles(results) == ["Disaster drill"]
    assert search(dbsession, "disaster", "ja").total == 0


def test_katakana_query_finds_hiragana_text(tree, dbsession):
    assert titles(search(dbsession, "ゴミ", "ja")) == ["ごみの出し方"]


def test_full_width_latin_is_normalised(tree, dbsession):
    assert titles(search(dbsession, "ｄｉｓａｓｔｅｒ", "en")) == ["Disaster drill"]


def test_japanese_words_find_translated_content_in_english(tree, dbsession):
    results = search(dbsession, "防災訓練", "en")
    assert titles(results) == ["Disaster drill"]
    assert results.hits[0].title_match


def test_english_index_falls_back_to_japanese_text(tree, dbsession):
    assert "市民税について" in titles(search(dbsession, "市民税", "en"))


def test_single_character_query_matches_titles(tree, dbsession):
    assert titles(search(dbsession, "税", "ja")) == ["市民税について"]


def test_highlight_escapes_and_marks(tree, dbsession):
    hit = search(dbsession, "防災", "ja").hits[0]
    assert hit.title_html == "<mark>防災</mark>訓練のお知らせ"
    assert "<mark>防災</mark>訓練を行います" in hit.snippet_html
    assert "<script>" not in hit.snippet_html and "alert" not in hit.snippet_html


def test_paging(tree, dbsession):
    first = search(dbsession, "防災", "ja", page=1, page_size=1)
    second = search(dbsession, "防災", "ja", page=2, page_size=1)
    assert first.total == second.total == 2
    assert first.pages == 2 and first.has_next and not second.has_next
    assert titles(first) != titles(second)


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"', "*", "AND OR NOT", "(", "'", "\\",
                                   "a" * 500, "防災 " * 50, "NEAR(a b)", "title_tokens:x"])
def test_odd_queries_never_fail(tree, dbsession, query):
    results = search(dbsession, query, "ja")
    assert results.total >= 0


def test_huge_words_and_texts_are_indexed_without_error(tree, dbsession):
    huge = "x" * 5000 + " " + "語" * 60_000 + " 最後"
    tree.add(tree.root, "page", "huge", "大きなページ", body=f"<p>{huge}</p>")
    tree.commit()
    assert titles(search(dbsession, "大きな", "ja")) == ["大きなページ"]
    assert search(dbsession, "x" * 5000, "ja").total == 0


def test_a_trashed_ancestor_hides_content(tree, dbsession):
    from kairan.content.models import Node
    from kairan.db.meta import utcnow

    news = dbsession.query(Node).filter_by(path="/news/").one()
    news.deleted_at = utcnow()
    dbsession.commit()
    assert search(dbsession, "防災", "ja").total == 0
    reindex_all(dbsession)
    dbsession.commit()
    assert search(dbsession, "防災", "ja").total == 0


def test_search_page_lists_highlighted_results(tree, testapp):
    page = testapp.get("/search", {"q": "防災"})
    assert page.status_int == 200
    assert page.html.find("h1") is not None
    assert page.html.find(class_="search-summary").text == "「防災」の検索結果は2件です。"
    links = [a["href"] for a in page.html.select(".search-results a")]
    assert links[0] == "/news/drill/"
    assert "<mark>防災</mark>" in page.text
    assert "<script>alert" not in page.text


def test_search_page_in_english(tree, testapp):
    page = testapp.get("/search", {"q": "drill", "_LOCALE_": "en"})
    assert page.html.find(class_="search-summary").text == "Results for “drill”: 1"
    assert page.html.select(".search-results a")[0]["href"] == "/news/drill/"


def test_search_page_without_query_and_with_bad_page(tree, testapp):
    page = testapp.get("/search")
    assert page.status_int == 200 and not page.html.select(".search-results")
    page = testapp.get("/search", {"q": "防災", "page": "abc"})
    assert page.status_int == 200
    page = testapp.get("/search", {"q": "防災", "page": "99"})
    assert page.status_int == 200 and not page.html.select(".search-results li")


def test_search_page_paging_links(tree, testapp, registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "kairan.search.page_size", 1)
    page = testapp.get("/search", {"q": "防災"})
    nxt = page.html.select_one('a[rel="next"]')
    assert nxt is not None
    page2 = testapp.get(nxt["href"])
    assert page2.html.select_one('a[rel="prev"]') is not None
    assert re.search(r"/news/garbage/", page2.text)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40))
def test_any_query_text_is_safe(tree, dbsession, query):
    results = search(dbsession, query, "ja", page_size=5)
    assert results.total >= len(results.hits)
    for hit in results.hits:
        assert "<script" not in hit.snippet_html


def test_a_registered_text_extractor_decides_what_is_indexed(tree, dbsession, registry):
    from kairan.content.interfaces import IContentTextExtractor

    def extractor(node, locale):
        return "専用の索引語" if locale == "ja" else "custom words"

    registry.registerUtility(extractor, IContentTextExtractor, name="page")
    try:
        reindex_all(dbsession, registry)
        dbsession.commit()
        assert titles(search(dbsession, "索引語", "ja")) == ["市民税について"]
        assert titles(search(dbsession, "custom", "en")) == ["市民税について"]
        assert search(dbsession, "納付", "ja").total == 0  # the body is no longer indexed
    finally:
        registry.unregisterUtility(extractor, IContentTextExtractor, name="page")
