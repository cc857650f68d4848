"""The colander schemas of the core types."""

import io
from datetime import UTC

import colander
import pytest

from kairan.content.schemas import EventSchema, FileSchema, LinkSchema, PageSchema


def test_page_limits_and_name():
    schema = PageSchema().bind(editing=False)
    with pytest.raises(colander.Invalid) as info:
        schema.deserialize({"title": "x" * 301, "name": "Bad Name"})
    errors = info.value.asdict()
    assert "title" in errors and "name" in errors
    assert schema.deserialize({"title": "ok"})["in_navigation"] is False
    edit = PageSchema().bind(editing=True)
    assert "name" not in edit


def test_event_times_are_tokyo_and_ordered():
    schema = EventSchema().bind(editing=False)
    value = schema.deserialize({"title": "x", "start": "2030-08-01T18:00"})
    assert value["start"].astimezone(UTC).hour == 9
    with pytest.raises(colander.Invalid) as info:
        schema.deserialize({"title": "x", "start": "2030-08-01T18:00",
                            "end": "2030-08-01T17:00"})
    assert "end" in info.value.asdict()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.jp/",
                                 "//evil.example/", "https://"])
def test_link_refuses_unsafe_addresses(url):
    with pytest.raises(colander.Invalid):
        LinkSchema().bind().deserialize({"title": "x", "url": url})


def test_link_accepts_web_and_mail():
    for url in ("https://www.city.example.jp/", "http://x.jp/a?b=1", "mailto:a@b.jp"):
        assert LinkSchema().bind().deserialize({"title": "x", "url": url})["url"] == url


def test_upload_required_on_add_optional_on_edit():
    with pytest.raises(colander.Invalid):
        FileSchema().bind(editing=False).deserialize({"title": "x"})
    assert "upload" not in FileSchema().bind(editing=True).deserialize({"title": "x"})
    value = FileSchema().bind().deserialize(
        {"title": "x", "upload": {"fp": io.BytesIO(b"1"), "filename": "a.txt"}})
    assert value["upload"]["filename"] == "a.txt"
