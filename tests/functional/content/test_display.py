"""The pages of the tree as a visitor sees them."""

from datetime import timedelta

from kairan.content.models import Event, News, Node, Page
from kairan.db.meta import utcnow


def add(dbsession, model, parent_id, name, title, state="published", **kw):
    parent = dbsession.get(Node, parent_id)
    now = utcnow()
    node = model(type=model.__mapper__.polymorphic_identity, parent_id=parent_id, name=name,
                 path=parent.path + name + "/", title=title, state=state, created=now,
                 modified=now, published_at=now if state == "published" else None, **kw)
    dbsession.add(node)
    dbsession.commit()
    return node


def test_home_page_shows_intro_news_and_events(testapp, dbsession, site):
    add(dbsession, News, site["guide"], "festival", "夏祭りのお知らせ")
    add(dbsession, News, site["draft"], "secret", "未公開の課のお知らせ")
    add(dbsession, News, site["guide"], "wip", "下書きのお知らせ", state="private")
    add(dbsession, Event, site["guide"], "bon", "盆踊り大会", start=utcnow() + timedelta(days=3),
        place="中央公園")
    add(dbsession, Event, site["guide"], "past", "終わった行事", start=utcnow() - timedelta(days=3))
    page = testapp.get("/")
    assert "ようこそ" in page.text
    assert "夏祭りのお知らせ" in page.text
    assert "盆踊り大会" in page.text and "中央公園" in page.text
    assert "未公開の課のお知らせ" not in page.text  # its folder is private
    assert "下書きのお知らせ" not in page.text
    assert "終わった行事" not in page.text
    assert "くらしの案内" in page.text  # navigation


def test_folder_lists_visible_children_in_order_with_breadcrumbs(testapp, dbsession, site):
    add(dbsession, Page, site["guide"], "first", "最初のページ", position=-1)
    add(dbsession, Page, site["guide"], "hidden", "非公開ページ", state="private", position=5)
    page = testapp.get("/guide/")
    text = page.text
    assert text.index("最初のページ") < text.index("ようこそ")
    assert "非公開ページ" not in text
    assert 'class="breadcrumbs"' in text
    assert "content-toolbar" not in text  # no editor actions for a visitor


def test_anonymous_sees_only_published(testapp, site):
    testapp.get("/guide/welcome/", status=200)
    response = testapp.get("/draft/", status=303)
    assert "/login" in response.location


def test_published_page_inside_private_folder_stays_hidden(testapp, dbsession, site):
    add(dbsession, Page, site["draft"], "early", "先に公開したページ")
    testapp.get("/draft/early/", status=303)


def test_event_times_shown_in_tokyo(testapp, dbsession, site):
    from datetime import UTC, datetime

    add(dbsession, Event, site["guide"], "bon", "盆踊り",
        start=datetime(2030, 8, 1, 9, 0, tzinfo=UTC), end=datetime(2030, 8, 1, 12, 0, tzinfo=UTC),
        place="中央公園")
    page = testapp.get("/guide/bon/")
    assert "2030年8月1日(木) 18:00" in page.text
    assert "21:00" in page.text
    assert "中央公園" in page.text


def test_english_falls_back_to_japanese_with_a_notice(testapp, site):
    testapp.set_cookie("kairan_locale", "en")
    page = testapp.get("/guide/welcome/")
    assert "This page is not yet available in English" in page.text
    assert "本文です" in page.text
    assert 'lang="ja"' in page.text
    folder = testapp.get("/guide/")
    assert "Living guide" in folder.text


def test_no_english_notice_in_japanese(testapp, site):
    page = testapp.get("/guide/welcome/")
    assert "This page is not yet available in English" not in page.text
    assert "英語" not in page.text


def test_link_page(testapp, dbsession, site):
    from kairan.content.models import Link

    add(dbsession, Link, site["guide"], "city", "県のサイト", url="https://example.jp/")
    page = testapp.get("/guide/city/")
    assert 'href="https://example.jp/"' in page.text


def test_trashed_node_is_not_found(testapp, dbsession, site):
    node = dbsession.get(Node, site["welcome"])
    node.deleted_at = utcnow()
    dbsession.commit()
    testapp.get("/guide/welcome/", status=404)
