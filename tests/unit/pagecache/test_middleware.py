"""The page cache serves a stored page only while the database says it is current."""

import pytest
from sqlalchemy import create_engine, text
from webtest import TestApp

from kairan.pagecache.middleware import (
    UNCACHEABLE,
    GenerationReader,
    GenerationUnavailable,
    PageCache,
)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE content_generation (id INTEGER PRIMARY KEY, "
                                "value INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO content_generation VALUES (1, 0)"))
    yield engine
    engine.dispose()


def bump(engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE content_generation SET value = value + 1"))


class CountingApp:
    def __init__(self, content_type="text/html; charset=UTF-8", status="200 OK", headers=()):
        self.calls = 0
        self.content_type = content_type
        self.status = status
        self.headers = list(headers)
        self.mark = False

    def __call__(self, environ, start_response):
        self.calls += 1
        if self.mark:
            environ[UNCACHEABLE] = True
        start_response(self.status, [("Content-Type", self.content_type), *self.headers])
        return [f"render {self.calls}".encode()]


def cached(app, engine, clock=None, **kw):
    return TestApp(PageCache(app, GenerationReader(engine), "kairan_session", "kairan_locale",
                             clock=clock or Clock(), **kw))


def test_a_second_anonymous_request_is_served_from_the_cache(engine):
    app = CountingApp()
    client = cached(app, engine)
    assert client.get("/page/").text == "render 1"
    assert client.get("/page/").text == "render 1"
    assert app.calls == 1


def test_a_new_generation_renders_again(engine):
    app = CountingApp()
    client = cached(app, engine)
    client.get("/page/")
    bump(engine)
    assert client.get("/page/").text == "render 2"


def test_entries_expire_after_max_age(engine):
    app, clock = CountingApp(), Clock()
    client = cached(app, engine, clock=clock, max_age=60)
    client.get("/events/")
    clock.now += 61
    assert client.get("/events/").text == "render 2"


def test_signed_in_visitors_are_never_served_from_the_cache(engine):
    app = CountingApp()
    client = cached(app, engine)
    client.get("/page/")
    client.set_cookie("kairan_session", "abc")
    assert client.get("/page/").text == "render 2"
    assert client.get("/page/").text == "render 3"


def test_the_language_cookie_is_part_of_the_key(engine):
    app = CountingApp()
    client = cached(app, engine)
    client.get("/page/")
    client.set_cookie("kairan_locale", "en")
    assert client.get("/page/").text == "render 2"
    assert client.get("/page/?q=1").text == "render 3"


@pytest.mark.parametrize("app", [
    CountingApp(status="404 Not Found"),
    CountingApp(content_type="application/json"),
    CountingApp(headers=[("Set-Cookie", "kairan_csrf=x")]),
    CountingApp(headers=[("Cache-Control", "no-store")]),
])
def test_only_plain_public_pages_are_stored(engine, app):
    client = cached(app, engine)
    client.get("/page/", status="*")
    client.get("/page/", status="*")
    assert app.calls == 2


def test_a_page_that_used_a_csrf_token_is_not_stored(engine):
    app = CountingApp()
    app.mark = True
    client = cached(app, engine)
    client.get("/login")
    client.get("/login")
    assert app.calls == 2


@pytest.mark.parametrize("path", ["/api/v1/content/", "/manage/kpi", "/static/style.css"])
def test_api_management_and_static_paths_pass_through(engine, path):
    app = CountingApp()
    client = cached(app, engine)
    client.get(path)
    client.get(path)
    assert app.calls == 2


def test_posts_pass_through(engine):
    app = CountingApp()
    client = cached(app, engine)
    client.post("/page/")
    client.post("/page/")
    assert app.calls == 2


def test_the_oldest_entry_goes_when_full(engine):
    app = CountingApp()
    client = cached(app, engine, max_entries=2)
    for path in ("/a/", "/b/", "/c/"):
        client.get(path)
    client.get("/a/")
    assert app.calls == 4  # /a/ was evicted, /b/ and /c/ stayed
    client.get("/c/")
    assert app.calls == 4


def test_without_the_generation_table_nothing_is_stored(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'none.sqlite'}")
    app = CountingApp()
    client = cached(app, engine)
    client.get("/page/")
    client.get("/page/")
    assert app.calls == 2
    engine.dispose()


def test_an_unreachable_postgresql_means_no_caching_not_an_error():
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    reader = GenerationReader(engine)
    with pytest.raises(GenerationUnavailable):
        reader()
    app = CountingApp()
    client = TestApp(PageCache(app, reader, "kairan_session", "kairan_locale"))
    assert client.get("/page/").text == "render 1"
    assert client.get("/page/").text == "render 2"
