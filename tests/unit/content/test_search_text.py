"""Tokenizing, query parsing, highlighting and snippets (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kairan.content.search import text


def test_cjk_runs_become_bigrams_and_latin_words_lowercase():
    assert text.tokens("市の防災訓練") == ["市の", "の防", "防災", "災訓", "訓練"]
    assert text.tokens("Fire DRILL 2026年") == ["fire", "drill", "2026", "年"]
    assert text.tokens("ｶﾀｶﾅ ＡＢＣ") == ["かた", "たか", "かな", "abc"]


def test_katakana_and_hiragana_are_one_word():
    assert text.tokens("ゴミ") == text.tokens("ごみ") == ["ごみ"]
    assert text.highlight("ゴミの日", text.parse_query("ごみ")) == "<mark>ゴミ</mark>の日"


def test_overlong_words_are_not_tokens():
    assert text.tokens("a" * 101 + " ok") == ["ok"]
    assert text.tokens("a" * 100) == ["a" * 100]


def test_punctuation_separates_runs():
    assert text.tokens("防災・減災。") == ["防災", "減災"]
    assert text.tokens("") == [] and text.tokens(None) == []


def test_query_terms_are_phrases_and_single_cjk_characters_prefixes():
    terms = text.parse_query("防災訓練  Drill 市")
    assert [t.tokens for t in terms] == [["防災", "災訓", "訓練"], ["drill"], ["市"]]
    assert [t.prefix for t in terms] == [False, False, True]
    assert text.parse_query("!!! ...") == []
    assert len(text.parse_query("a " * 50)) == 10


def test_single_character_detection():
    assert text.is_single_character("税")
    assert text.is_single_character(" 「税」 ")
    assert not text.is_single_character("税金")


def test_highlight_escapes_everything_but_the_marks():
    terms = text.parse_query("防災")
    assert text.highlight("<b>防災</b>", terms) == "&lt;b&gt;<mark>防災</mark>&lt;/b&gt;"
    assert text.highlight("Fire & FIRE", text.parse_query("fire")) == (
        "<mark>Fire</mark> &amp; <mark>FIRE</mark>")


def test_overlapping_matches_merge():
    terms = text.parse_query("防災訓 災訓練")
    assert text.highlight("防災訓練", terms) == "<mark>防災訓練</mark>"


def test_snippet_is_centred_on_the_first_match():
    body = "あ" * 300 + "防災" + "い" * 300
    snippet = text.snippet(body, text.parse_query("防災"), width=60)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>防災</mark>" in snippet
    assert len(snippet) < 100
    assert text.snippet("短い", text.parse_query("無い")) == "短い"


def test_html_to_text_drops_tags_scripts_and_styles():
    html = "<h1>見出し</h1><p>本文&amp;続き</p><script>alert(1)</script><style>p{}</style>"
    assert text.html_to_text(html) == "見出し 本文&続き"
    assert text.html_to_text("") == ""


@given(st.text())
def test_tokens_never_contain_separators(value):
    for token in text.tokens(value):
        assert token and all(text.is_word_char(ch) for ch in token)


@given(st.text(), st.text(max_size=20))
def test_highlight_without_marks_is_just_escaping(body, query):
    from html import escape

    marked = text.highlight(body, text.parse_query(query))
    assert marked.replace("<mark>", "").replace("</mark>", "") == escape(body) or (
        len(text.normalize(body)) != len(body))


@pytest.mark.parametrize("char,expected", [("漢", True), ("ア", True), ("ひ", True),
                                           ("a", False), ("1", False), ("々", True)])
def test_is_cjk(char, expected):
    assert text.is_cjk(char) is expected
