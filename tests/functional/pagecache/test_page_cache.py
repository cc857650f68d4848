"""The page cache in front of the real application: edits are seen at once."""

import pytest

from kairan.content.models import Folder, Page
from kairan.db.meta import utcnow
from kairan.pagecache.middleware import GenerationReader, wrap
from kairan.pagecache.services import bump_generation
from kairan.testing import KairanTestApp


@pytest.fixture
def cached_app(app, registry, clean_db):
    return KairanTestApp(wrap(app, registry), extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                             "HTTP_HOST": "localhost"})


@pytest.fixture
def site(dbsession):
    now = utcnow()
    bump_generation(dbsession)  # the row exists whether or not a test emptied the tables
    root = Folder(name="", path="/", title="回覧板市", state="published", created=now,
                  modified=now, published_at=now)
    dbsession.add(root)
    dbsession.flush()
    page = Page(name="gomi", path="/gomi/", parent_id=root.id, title="ごみの出し方",
                body="<p>燃えるごみは月曜日です。</p>", state="published", created=now,
                modified=now, published_at=now)
    dbsession.add(page)
    dbsession.commit()
    return page


def test_an_edit_by_an_editor_is_seen_by_the_next_anonymous_visitor(
        cached_app, site, make_user, app, dbsession):
    assert "燃えるごみは月曜日" in cached_app.get("/gomi/").text
    assert "燃えるごみは月曜日" in cached_app.get("/gomi/").text  # from the cache
    editor = make_user(roles=("Editor",))
    writer = KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.11",
                                               "HTTP_HOST": "localhost"})
    writer.login(editor.email)
    page = writer.get("/gomi/@@edit")
    form = next(f for f in page.forms.values() if "body" in f.fields)
    form["body"] = "<p>燃えるごみは火曜日に変わりました。</p>"
    form.submit("save", status=303)
    assert "火曜日に変わりました" in cached_app.get("/gomi/").text


def test_a_generation_bump_is_what_invalidates(cached_app, site, dbsession):
    cached_app.get("/gomi/")
    dbsession.query(Page).filter(Page.id == site.id).update({"title": "資源ごみの出し方"})
    dbsession.commit()
    # changed behind the application's back: still the cached page
    assert "資源ごみの出し方" not in cached_app.get("/gomi/").text
    bump_generation(dbsession)
    dbsession.commit()
    assert "資源ごみの出し方" in cached_app.get("/gomi/").text


def test_the_reader_sees_each_committed_bump(registry, dbsession, site):
    reader = GenerationReader(registry["db_engine"])
    before = reader()
    bump_generation(dbsession)
    dbsession.commit()
    assert reader() == before + 1
    assert reader() == before + 1  # the same connection, the same answer
