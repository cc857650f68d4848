"""Helpers of the content views: diffs, dates in Tokyo, the English fallback."""

from datetime import UTC, datetime

from kairan.content.models import Page
from kairan.content.views.common import fell_back, format_date, format_datetime
from kairan.content.views.history import diff_fields


def test_diff_lists_changed_fields_line_by_line():
    old = {"title": "a", "body": "<p>one</p><p>two</p>", "blob_id": 1}
    new = {"title": "a", "body": "<p>one</p><p>three</p>", "blob_id": 2}
    changes = diff_fields(old, new)
    assert [field for field, _lines in changes] == ["body"]
    lines = changes[0][1]
    assert (" ", "<p>one</p>") in lines
    assert ("-", "<p>two</p>") in lines and ("+", "<p>three</p>") in lines


def test_dates_are_shown_in_tokyo():
    moment = datetime(2030, 12, 31, 16, 30, tzinfo=UTC)  # 01:30 on 1 January in Tokyo
    assert format_datetime(moment, "ja") == "2031年1月1日(水) 01:30"
    assert format_date(moment, "en") == "01 Jan 2031"
    assert format_datetime(None, "ja") == ""


def test_english_fallback_is_detected():
    page = Page(title="題", title_en="", body="<p>本文</p>", body_en="", description="",
                description_en="")
    assert fell_back(page, "en") and not fell_back(page, "ja")
    page.title_en, page.body_en = "Title", "<p>Body</p>"
    assert not fell_back(page, "en")
