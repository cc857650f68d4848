"""The dashboard page: tiles the user may see, in the configured order, robust to failures."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from kairan.dashboard.interfaces import IDashboardTile
from kairan.dashboard.services import DashboardTile
from kairan.db.meta import utcnow
from kairan.security.permissions import Permission

# the core's own tiles; enabled add-ons register more, which these tests leave aside
CORE_TILES = {"account", "news"}


def tile_order(html):
    """The tiles on the page, in order, without those of the enabled add-ons."""
    found = re.findall(r'<section[^>]* id="tile-([a-z0-9_.-]+)"', html)
    return [name for name in found if name not in ADDON_TILES]


ADDON_TILES = set()


@pytest.fixture(autouse=True)
def addon_tiles(registry):
    """Names of the tiles the enabled add-ons registered (before a test adds its own)."""
    names = {name for name, _tile in registry.getUtilitiesFor(IDashboardTile)} - CORE_TILES
    ADDON_TILES.clear()
    ADDON_TILES.update(names)
    return names


@pytest.fixture
def extra_tiles(registry):
    """register(tile): add a tile to the running app for one test only."""
    added = []

    def register(tile):
        registry.registerUtility(tile, IDashboardTile, name=tile.name)
        added.append(tile.name)
        return tile

    yield register
    for name in added:
        registry.unregisterUtility(provided=IDashboardTile, name=name)


class HtmlTile(DashboardTile):
    def __init__(self, name, html="<p>ok</p>", order=100, permission=None):
        self.name, self.title, self.order, self.permission = name, name, order, permission
        self.html = html

    def render(self, request):
        return self.html


class BrokenTile(HtmlTile):
    def render(self, request):
        raise RuntimeError("boom")


class BadQueryTile(HtmlTile):
    def render(self, request):
        request.dbsession.execute(text("SELECT * FROM no_such_table"))
        return "<p>never</p>"


def add_news(dbsession, title, name, state="published", days_ago=0):
    """A news item in /news/ (not directly under the root, which is the main menu)."""
    from kairan.content.models import Folder, News

    now = utcnow()
    folder = dbsession.query(Folder).filter_by(path="/news/").one_or_none()
    if folder is None:
        root = Folder(type="folder", name="", path="/", title="回覧板市", state="published",
                      created=now, modified=now)
        dbsession.add(root)
        dbsession.flush()
        folder = Folder(type="folder", parent_id=root.id, name="news", path="/news/",
                        title="お知らせ", state="published", created=now, modified=now)
        dbsession.add(folder)
        dbsession.flush()
    when = now - timedelta(days=days_ago)
    news = News(type="news", parent_id=folder.id, name=name, path=f"/news/{name}/", title=title,
                state=state, created=when, modified=when,
                published_at=when if state == "published" else None)
    dbsession.add(news)
    dbsession.commit()
    return news


def test_anonymous_is_sent_to_sign_in(testapp):
    response = testapp.get("/dashboard", status=303)
    assert "/login" in response.location
    assert "came_from=%2Fdashboard" in response.location


def test_member_sees_account_and_news(testapp, dbsession, login):
    login(email="hanako@example.jp", display_name="山田花子")
    add_news(dbsession, "夏祭りのお知らせ", "matsuri", days_ago=1)
    add_news(dbsession, "ごみ収集日の変更", "gomi", days_ago=0)
    add_news(dbsession, "まだ非公開", "himitsu", state="private")
    page = testapp.get("/dashboard", status=200)
    assert tile_order(page.text) == ["account", "news"]
    assert "山田花子" in page.text and "hanako@example.jp" in page.text
    assert 'href="/account/my-data.json"' in page.text
    assert page.text.index("ごみ収集日の変更") < page.text.index("夏祭りのお知らせ")
    assert "まだ非公開" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "<h1>マイページ</h1>" in page.text


def test_order_setting_wins_then_hint_then_name(testapp, login, registry, extra_tiles,
                                                monkeypatch):
    login()
    extra_tiles(HtmlTile("zeta", order=1))
    extra_tiles(HtmlTile("alpha", order=50))
    extra_tiles(HtmlTile("beta", order=50))
    monkeypatch.setitem(registry.settings, "kairan.dashboard.order", ["news", "nope", "beta"])
    page = testapp.get("/dashboard")
    assert tile_order(page.text) == ["news", "beta", "zeta", "account", "alpha"]


def test_tile_permission_hides_it_from_members(testapp, dbsession, make_user, extra_tiles):
    from tests.functional.dashboard.helpers import sign_in

    extra_tiles(HtmlTile("operators", "<p>for operators</p>", permission=Permission.EXPORT))
    sign_in(testapp, dbsession, make_user())
    assert "for operators" not in testapp.get("/dashboard").text
    testapp.reset()
    sign_in(testapp, dbsession, make_user(roles=("Operator",)))
    assert "for operators" in testapp.get("/dashboard").text


def test_failing_tiles_do_not_break_the_page(testapp, login, extra_tiles, caplog):
    login(display_name="佐藤一郎")
    extra_tiles(BrokenTile("broken", order=1))
    extra_tiles(BadQueryTile("badsql", order=2))
    page = testapp.get("/dashboard", status=200)
    assert tile_order(page.text) == ["broken", "badsql", "account", "news"]
    assert page.text.count("この情報は現在表示できません") == 2
    # the tiles after the broken ones still work (on PostgreSQL too: savepoints)
    assert "佐藤一郎" in page.text
    assert "boom" not in page.text and "no_such_table" not in page.text
    assert any("broken" in r.getMessage() for r in caplog.records)


def test_tile_html_is_not_escaped_but_titles_are(testapp, login, extra_tiles):
    login()
    tile = HtmlTile("markup", "<p class='x'>shown</p>")
    tile.title = "<b>title</b>"
    extra_tiles(tile)
    page = testapp.get("/dashboard")
    assert "<p class='x'>shown</p>" in page.text
    assert "&lt;b&gt;title&lt;/b&gt;" in page.text


def test_dashboard_with_a_session_that_needs_touching(testapp, dbsession, make_user):
    """The session row's last_seen update is flushed around the tiles' savepoints
    and still commits with the page."""
    from kairan.security.models import AuthSession
    from tests.functional.dashboard.helpers import sign_in

    sign_in(testapp, dbsession, make_user(display_name="古い人"))
    row = dbsession.scalars(select(AuthSession)).one()
    old = utcnow() - timedelta(minutes=5)
    row.last_seen = old
    dbsession.commit()
    assert "古い人" in testapp.get("/dashboard", status=200).text
    dbsession.expire_all()
    assert dbsession.scalars(select(AuthSession)).one().last_seen > old
