"""Profile, password change, account deletion and "download my data"."""

import hashlib
import json

from sqlalchemy import select

from kairan.accounts.models import User, UserRole
from kairan.audit.models import AuditEntry
from kairan.security.models import AuthSession
from kairan.testing import TEST_PASSWORD, KairanTestApp

NEW = "atarashii-aikotoba-7"


def _signed_in(app, email, address="192.0.2.20"):
    other = KairanTestApp(app, extra_environ={"REMOTE_ADDR": address, "HTTP_HOST": "localhost"})
    other.login(email)
    return other


def test_account_pages_need_a_signed_in_user(testapp):
    for path in ("/account", "/account/password", "/account/delete", "/account/my-data.json"):
        response = testapp.get(path, status=303)
        assert response.location.startswith("http://localhost/login?came_from=")


def test_profile_shows_the_address_and_saves_name_and_language(testapp, dbsession, make_user):
    user = make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    page = testapp.get("/account")
    assert "taro@example.jp" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    response = testapp.post_form("/account", {"display_name": "  鈴木太郎 ", "locale": "en"})
    assert response.status_int == 303
    dbsession.expire_all()
    saved = dbsession.get(User, user.id)
    assert (saved.display_name, saved.locale) == ("鈴木太郎", "en")
    assert testapp.cookies["kairan_locale"] == "en"
    assert testapp.post_form("/account", {"display_name": "", "locale": "en"}, status=400)
    assert testapp.post_form("/account", {"display_name": "x", "locale": "fr"}, status=400)


def test_profile_ignores_extra_fields(testapp, dbsession, make_user):
    user = make_user(email="taro@example.jp")
    other = make_user(email="jiro@example.jp")
    testapp.login("taro@example.jp")
    testapp.post_form("/account", {
        "display_name": "太郎", "locale": "ja", "role": "Manager", "roles": "Manager",
        "status": "disabled", "user_id": str(other.id), "id": str(other.id),
        "email": "hijack@example.jp", "password_hash": "x",
    }, status=303)
    dbsession.expire_all()
    me = dbsession.get(User, user.id)
    assert me.role_names == [] and me.status == "active" and me.email == "taro@example.jp"
    assert me.password_hash.startswith("$argon2id$")
    assert dbsession.get(User, other.id).display_name != "太郎"


def test_password_change_needs_the_current_password(testapp, make_user):
    make_user(email="taro@example.jp")
    testapp.login("taro@example.jp")
    wrong = testapp.post_form("/account/password", {
        "current_password": "not-my-password", "new_password": NEW, "confirm_password": NEW,
        "sign_out_others": "true"}, status=400)
    assert "現在のパスワードが正しくありません" in wrong.text
    testapp.logout()
    testapp.login("taro@example.jp", status=303)


def test_password_change_signs_out_other_sessions_by_default(app, testapp, dbsession, make_user):
    user = make_user(email="taro@example.jp")
    phone = _signed_in(app, "taro@example.jp")
    testapp.login("taro@example.jp")
    form = testapp.get("/account/password")
    assert 'name="sign_out_others" value="true"' in form.text and "checked" in form.text
    before = testapp.cookies["kairan_session"]
    testapp.post_form("/account/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW, "confirm_password": NEW,
        "sign_out_others": "true"}, status=303)
    assert testapp.cookies["kairan_session"] != before  # rotated
    assert testapp.get("/account").status_int == 200
    assert phone.get("/account", status=303)
    dbsession.expire_all()
    rows = dbsession.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert len(rows) == 1


def test_password_change_can_keep_other_sessions(app, testapp, make_user):
    make_user(email="taro@example.jp")
    phone = _signed_in(app, "taro@example.jp")
    testapp.login("taro@example.jp")
    testapp.post_form("/account/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW, "confirm_password": NEW},
        status=303)
    assert phone.get("/account").status_int == 200
    testapp.logout()
    testapp.login("taro@example.jp", NEW, status=303)


def test_account_deletion(app, testapp, dbsession, make_user):
    user = make_user(email="taro@example.jp", roles=("Editor",))
    user_id = user.id
    phone = _signed_in(app, "taro@example.jp")
    testapp.login("taro@example.jp")
    refused = testapp.post_form("/account/delete", {"password": "wrong-one-here",
                                                    "confirm": "true"}, status=400)
    assert "パスワードが正しくありません" in refused.text
    assert testapp.post_form("/account/delete", {"password": TEST_PASSWORD}, status=400)
    dbsession.expire_all()
    assert dbsession.get(User, user_id) is not None
    response = testapp.post_form("/account/delete", {"password": TEST_PASSWORD,
                                                     "confirm": "true"}, status=303)
    assert response.location == "http://localhost/"
    dbsession.expire_all()
    assert dbsession.get(User, user_id) is None
    assert not dbsession.scalars(select(UserRole).where(UserRole.user_id == user_id)).all()
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == user_id)).all()
    entries = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "account.delete",
                                                         AuditEntry.outcome == "success")).all()
    assert [e.actor_id for e in entries] == [user_id]
    testapp.get("/account", status=303)
    phone.get("/account", status=303)
    testapp.login("taro@example.jp", status=400)


def test_download_my_data(testapp, dbsession, make_user):
    user = make_user(email="taro@example.jp", roles=("Editor",))
    testapp.login("taro@example.jp")
    assert "JSON" in testapp.get("/account/my-data.json").text
    response = testapp.post_form("/account/my-data.json", {})
    assert response.content_type == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.json
    assert data["account"]["email"] == "taro@example.jp" and data["account"]["id"] == user.id
    assert data["roles"] == ["Editor"]
    [session] = data["sessions"]
    assert session["current"] is True and set(session["factors"]) == {"pwd"}
    assert "login.success" in [e["action"] for e in data["audit"]]
    text = json.dumps(data)
    cookie = testapp.cookies["kairan_session"]
    assert cookie not in text and hashlib.sha256(cookie.encode()).hexdigest() not in text
    assert "argon2" not in text and "password_hash" not in text
    dbsession.expire_all()
    assert dbsession.scalar(select(AuditEntry).where(AuditEntry.action == "account.download"))
