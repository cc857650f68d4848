"""The editor's actions from the page itself, through the browser forms."""

from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.content.models import Node, Revision
from kairan.security.permissions import Role


def token(testapp, url):
    """GET a page with a form (sets the CSRF cookie) and return the token."""
    testapp.get(url)
    return testapp.cookies["kairan_csrf"]


def node_at(dbsession, path):
    dbsession.expire_all()
    return dbsession.scalar(select(Node).where(Node.path == path))


def test_editor_sees_toolbar_and_adds_a_page(testapp, dbsession, site, login):
    login(Role.EDITOR)
    page = testapp.get("/guide/")
    assert "content-toolbar" in page.text and "@@add" in page.text
    choose = testapp.get("/guide/@@add")
    assert "@@add?type=page" in choose.text
    form = testapp.get("/guide/@@add?type=page")
    assert 'for="field-title"' in form.text
    response = testapp.post("/guide/@@add", {
        "csrf_token": testapp.cookies["kairan_csrf"], "type": "page",
        "title": "ごみの分け方", "title_en": "Sorting waste",
        "body": "<p>月曜日<script>alert(1)</script></p><a href='javascript:alert(1)'>x</a>",
        "in_navigation": "true", "save": "1"}, status=303)
    assert response.location.endswith("/guide/sorting-waste/")
    created = node_at(dbsession, "/guide/sorting-waste/")
    assert created.state == "private"
    assert "script" not in created.body and "javascript" not in created.body
    shown = testapp.get("/guide/sorting-waste/")
    assert "月曜日" in shown.text and "alert(1)" not in shown.text


def test_add_with_bad_input_gives_the_form_back(testapp, dbsession, site, login):
    login(Role.EDITOR)
    csrf = token(testapp, "/guide/@@add?type=page")
    response = testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "page", "title": "",
                                             "name": "Bad Name!"}, status=400)
    assert 'aria-describedby="field-title-error"' in response.text
    assert 'id="field-name-error"' in response.text
    response = testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "page", "title": "x",
                                             "name": "welcome"}, status=400)
    assert 'id="field-name-error"' in response.text
    response = testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "event", "title": "x",
                                             "start": "2030-08-01T18:00",
                                             "end": "2030-08-01T17:00"}, status=400)
    assert 'id="field-end-error"' in response.text
    response = testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "link", "title": "x",
                                             "url": "javascript:alert(1)"}, status=400)
    assert 'id="field-url-error"' in response.text
    assert dbsession.scalar(select(Node).where(Node.title == "x")) is None
    testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "nosuchtype", "title": "x"},
                 status=404)
    testapp.post("/guide/welcome/@@add", {"csrf_token": csrf, "type": "page", "title": "x"},
                 status=404)


def test_post_without_csrf_token_is_refused(testapp, dbsession, site, login):
    login(Role.EDITOR)
    testapp.post("/guide/welcome/@@edit", {"title": "乗っ取り"}, status=400)
    assert node_at(dbsession, "/guide/welcome/").title == "ようこそ"


def test_member_cannot_edit_or_add(testapp, site, login):
    login(Role.MEMBER)
    testapp.get("/guide/welcome/@@edit", status=403)
    testapp.get("/guide/@@add?type=page", status=403)
    page = testapp.get("/guide/welcome/")
    assert "content-toolbar" not in page.text


def test_edit_preview_save_and_event_times(testapp, dbsession, site, login):
    login(Role.EDITOR)
    csrf = token(testapp, "/guide/welcome/@@edit")
    preview = testapp.post("/guide/welcome/@@edit", {
        "csrf_token": csrf, "title": "新しい題",
        "body": "<p>下書き<img src=x onerror=alert(1)></p>", "preview": "1"})
    assert "Preview" in preview.text or "プレビュー" in preview.text
    assert '<img src="x">' in preview.text  # the preview shows the sanitized body
    assert "<img src=x onerror" not in preview.text  # the textarea keeps it escaped
    assert node_at(dbsession, "/guide/welcome/").title == "ようこそ"  # nothing saved
    testapp.post("/guide/welcome/@@edit", {"csrf_token": csrf, "title": "新しい題",
                                           "body": "<p>改訂</p>", "comment": "誤字",
                                           "save": "1"}, status=303)
    node = node_at(dbsession, "/guide/welcome/")
    assert node.title == "新しい題" and node.body == "<p>改訂</p>"
    revision = dbsession.scalar(select(Revision).where(Revision.node_id == node.id))
    assert revision.comment == "誤字"
    audit = dbsession.scalars(select(AuditEntry.action)).all()
    assert "content.edit" in audit


def test_event_added_in_tokyo_time(testapp, dbsession, site, login):
    login(Role.EDITOR)
    csrf = token(testapp, "/guide/@@add?type=event")
    testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "event", "title": "盆踊り",
                                  "title_en": "Bon dance", "start": "2030-08-01T18:00",
                                  "place": "中央公園", "save": "1"}, status=303)
    event = node_at(dbsession, "/guide/bon-dance/")
    assert event.start.hour == 9  # 18:00 JST is 09:00 UTC
    form = testapp.get("/guide/bon-dance/@@edit")
    assert 'value="2030-08-01T18:00"' in form.text


def test_workflow_from_the_page(testapp, dbsession, site, login, make_user):
    from .conftest import sign_in

    login(Role.EDITOR)
    csrf = token(testapp, "/guide/@@add?type=page")
    testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "page", "title": "審査用",
                                  "name": "review-me", "save": "1"}, status=303)
    page = testapp.get("/guide/review-me/")
    assert 'value="submit"' in page.text and 'value="publish"' not in page.text
    testapp.post("/guide/review-me/@@transition", {"csrf_token": csrf, "name": "publish"},
                 status=403)
    denied = dbsession.scalar(select(AuditEntry).where(AuditEntry.outcome == "denied"))
    assert denied is not None and denied.action == "content.transition"  # kept, not rolled back
    testapp.post("/guide/review-me/@@transition", {"csrf_token": csrf, "name": "submit"},
                 status=303)
    assert node_at(dbsession, "/guide/review-me/").state == "pending"
    testapp.post("/guide/review-me/@@transition", {"csrf_token": csrf, "name": "bogus"},
                 status=400)
    reviewer = make_user(roles=(Role.REVIEWER,))
    sign_in(testapp, dbsession, reviewer)
    page = testapp.get("/guide/review-me/")
    assert 'value="publish"' in page.text and 'value="reject"' in page.text
    testapp.post("/guide/review-me/@@transition",
                 {"csrf_token": testapp.cookies["kairan_csrf"], "name": "publish"}, status=303)
    assert node_at(dbsession, "/guide/review-me/").state == "published"
    testapp.reset()
    testapp.get("/guide/review-me/", status=200)


def test_delete_to_trash_and_manager_restores(testapp, dbsession, site, login, make_user):
    from .conftest import sign_in

    login(Role.EDITOR)
    confirm = testapp.get("/guide/welcome/@@delete")
    assert "trash" in confirm.text.lower() or "ごみ箱" in confirm.text
    testapp.post("/guide/welcome/@@delete", {"csrf_token": testapp.cookies["kairan_csrf"]},
                 status=303)
    testapp.get("/guide/welcome/", status=404)
    testapp.get("/manage/trash", status=403)
    sign_in(testapp, dbsession, make_user(roles=(Role.MANAGER,)))
    trash = testapp.get("/manage/trash")
    assert "/guide/welcome/" in trash.text
    csrf = testapp.cookies["kairan_csrf"]
    testapp.post("/manage/trash", {"csrf_token": csrf, "action": "restore",
                                   "node": str(site["welcome"])}, status=303)
    testapp.get("/guide/welcome/", status=200)
    testapp.post("/guide/welcome/@@delete", {"csrf_token": csrf}, status=303)
    testapp.post("/manage/trash", {"csrf_token": csrf, "action": "empty"}, status=303)
    assert dbsession.get(Node, site["welcome"]) is None
    testapp.post("/manage/trash", {"csrf_token": csrf, "action": "restore", "node": "x"},
                 status=400)


def test_move_copy_and_reorder(testapp, dbsession, site, login):
    login(Role.EDITOR)
    choose = testapp.get("/guide/welcome/@@move")
    assert f'value="{site["draft"]}"' in choose.text
    csrf = testapp.cookies["kairan_csrf"]
    response = testapp.post("/guide/welcome/@@move", {"csrf_token": csrf,
                                                      "target": str(site["draft"])}, status=303)
    assert response.location.endswith("/draft/welcome/")
    testapp.post("/draft/welcome/@@copy", {"csrf_token": csrf, "target": str(site["guide"])},
                 status=303)
    copied = node_at(dbsession, "/guide/welcome/")
    assert copied is not None and copied.id != site["welcome"]
    testapp.post("/draft/@@move", {"csrf_token": csrf, "target": str(site["draft"])},
                 status=400)
    testapp.post("/draft/welcome/@@move", {"csrf_token": csrf, "target": "999"}, status=400)
    folder = testapp.get("/")
    assert folder.status_int == 200
    testapp.post("/@@reorder", {"csrf_token": csrf, "node": str(site["draft"]),
                                "direction": "up"}, status=303)
    assert node_at(dbsession, "/draft/").position < node_at(dbsession, "/guide/").position
    testapp.post("/@@reorder", {"csrf_token": csrf, "node": "nope"}, status=400)


def test_history_diff_and_restore(testapp, dbsession, site, login):
    login(Role.EDITOR)
    csrf = token(testapp, "/guide/welcome/@@edit")
    for body in ("<p>一版</p>", "<p>二版 <b>&lt;script&gt;</b></p>"):
        testapp.post("/guide/welcome/@@edit", {"csrf_token": csrf, "title": "ようこそ",
                                               "body": body, "save": "1"}, status=303)
    history = testapp.get("/guide/welcome/@@history")
    assert "@@diff" in history.text
    diff = testapp.get("/guide/welcome/@@diff?a=1&b=2")
    assert "一版" in diff.text and "二版" in diff.text
    assert "<b>&lt;script" not in diff.text  # shown as text, escaped
    assert "&lt;b&gt;" in diff.text
    testapp.get("/guide/welcome/@@diff?a=1&b=99", status=400)
    testapp.post("/guide/welcome/@@restore-revision", {"csrf_token": csrf, "number": "1"},
                 status=303)
    assert node_at(dbsession, "/guide/welcome/").body == "<p>一版</p>"
    testapp.post("/guide/welcome/@@restore-revision", {"csrf_token": csrf, "number": "77"},
                 status=400)


def test_editor_ui_is_in_japanese(testapp, site, login):
    login(Role.EDITOR)
    page = testapp.get("/draft/")
    assert "審査を依頼する" in page.text and "非公開" in page.text
    form = testapp.get("/draft/@@edit")
    assert "タイトル（日本語）" in form.text and "保存" in form.text


def test_add_preview_saves_nothing(testapp, dbsession, site, login):
    login(Role.EDITOR)
    csrf = token(testapp, "/guide/@@add?type=news")
    response = testapp.post("/guide/@@add", {"csrf_token": csrf, "type": "news",
                                             "title": "試し", "body": "<h2>見出し</h2>",
                                             "preview": "1"})
    assert "<h2>見出し</h2>" in response.text
    assert dbsession.scalar(select(Node).where(Node.title == "試し")) is None
