"""Managers' user administration: search, paging, roles and disabling, all audited."""

from sqlalchemy import select

from kairan.accounts.models import User
from kairan.audit.models import AuditEntry
from kairan.security.models import AuthSession
from kairan.testing import KairanTestApp


def _manager(testapp, make_user):
    manager = make_user(email="boss@example.jp", roles=("Manager",))
    testapp.login("boss@example.jp")
    return manager


def _post_roles(testapp, user_id, roles, status=303):
    # a list of pairs: the checkboxes repeat one name, which a dict would collapse
    params = [("csrf_token", testapp.csrf_token()), ("__start__", "roles:sequence")]
    params += [("checkbox", role) for role in roles] + [("__end__", "roles:sequence")]
    return testapp.post(f"/manage/users/{user_id}/roles", params, status=status)


def _audit(dbsession, action):
    dbsession.expire_all()
    return dbsession.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_only_managers_see_users(testapp, make_user):
    make_user(email="editor@example.jp", roles=("Editor",))
    testapp.get("/manage/users", status=303)
    testapp.login("editor@example.jp")
    testapp.get("/manage/users", status=403)
    testapp.get("/manage/users/1", status=403)


def test_search_and_paging(testapp, make_user):
    _manager(testapp, make_user)
    for i in range(30):
        make_user(email=f"resident{i:02d}@example.jp", display_name=f"住民{i:02d}")
    make_user(email="hanako@example.jp", display_name="山田花子")
    first = testapp.get("/manage/users")
    assert "32" in first.text and "resident00@example.jp" in first.text
    assert 'rel="next"' in first.text
    second = testapp.get("/manage/users?page=2")
    assert "resident29@example.jp" in second.text and "resident00@example.jp" not in second.text
    by_name = testapp.get("/manage/users", {"q": "花子"})
    assert "hanako@example.jp" in by_name.text and "resident01" not in by_name.text
    by_mail = testapp.get("/manage/users", {"q": "RESIDENT1"})
    assert "resident15@example.jp" in by_mail.text and "resident20" not in by_mail.text
    assert "resident" not in testapp.get("/manage/users", {"q": "%"}).text
    testapp.get("/manage/users?page=0", status=400)
    testapp.get("/manage/users?page=abc", status=400)


def test_grant_and_revoke_roles(testapp, dbsession, make_user):
    _manager(testapp, make_user)
    user = make_user(email="taro@example.jp", roles=("Member",))
    page = testapp.get(f"/manage/users/{user.id}")
    assert "編集者 (Editor)" in page.text
    assert f'href="/manage/audit?actor={user.id}"' in page.text
    _post_roles(testapp, user.id, ["Editor", "Reviewer"])
    dbsession.expire_all()
    assert dbsession.get(User, user.id).role_names == ["Editor", "Reviewer"]
    assert sorted(e.detail["role"] for e in _audit(dbsession, "role.grant")) == \
        ["Editor", "Reviewer"]
    assert [e.detail["role"] for e in _audit(dbsession, "role.revoke")] == ["Member"]
    _post_roles(testapp, user.id, ["God"], status=400)
    dbsession.expire_all()
    assert dbsession.get(User, user.id).role_names == ["Editor", "Reviewer"]


def test_a_manager_cannot_lock_themself_out(testapp, dbsession, make_user):
    manager = _manager(testapp, make_user)
    refused = _post_roles(testapp, manager.id, [], status=400)
    assert "管理者の役割を外すことはできません" in refused.text
    testapp.post_form(f"/manage/users/{manager.id}/status", {}, status=400)
    dbsession.expire_all()
    me = dbsession.get(User, manager.id)
    assert me.role_names == ["Manager"] and me.status == "active"


def test_disabling_ends_every_session_and_refuses_sign_in(app, testapp, dbsession, make_user):
    _manager(testapp, make_user)
    user = make_user(email="taro@example.jp")
    resident = KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.30"})
    resident.login("taro@example.jp")
    testapp.post_form(f"/manage/users/{user.id}/status", {}, status=303)
    dbsession.expire_all()
    assert dbsession.get(User, user.id).status == "disabled"
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    resident.get("/account", status=303)
    resident.login("taro@example.jp", status=403)
    assert _audit(dbsession, "user.disable")[0].target == f"user:{user.id}"
    testapp.post_form(f"/manage/users/{user.id}/status", {}, status=303)
    dbsession.expire_all()
    assert dbsession.get(User, user.id).status == "active"
    resident.login("taro@example.jp", status=303)


def test_unknown_user_is_404(testapp, make_user):
    _manager(testapp, make_user)
    testapp.get("/manage/users/999999", status=404)
    testapp.post_form("/manage/users/999999/status", {}, status=404)
