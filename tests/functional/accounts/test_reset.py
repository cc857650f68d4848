"""Password reset by e-mail: no enumeration, single use, 1 h, ends every session."""

from datetime import timedelta

from sqlalchemy import select

from kairan.accounts.models import EmailToken
from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.security.models import AuthSession
from kairan.testing import KairanTestApp
from tests.functional.accounts.conftest import link_in

NEW = "atarashii-aikotoba-7"


def _reset(testapp, path, password=NEW, confirm=None, status=303):
    return testapp.post_form(path, {"new_password": password,
                                    "confirm_password": confirm or password}, status=status)


def test_reset_request_says_the_same_for_known_and_unknown_addresses(testapp, make_user, outbox):
    make_user(email="taro@example.jp")
    known = testapp.post_form("/password-reset", {"email": "taro@example.jp"})
    unknown = testapp.post_form("/password-reset", {"email": "nobody@example.jp"})
    assert known.status_int == unknown.status_int == 200
    assert known.text == unknown.text
    assert [m.recipient for m in outbox()] == ["taro@example.jp"]


def test_reset_sets_the_password_once_and_ends_every_session(app, testapp, dbsession, make_user,
                                                               outbox):
    user = make_user(email="taro@example.jp")
    phone = KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.11"})
    phone.login("taro@example.jp")
    assert phone.get("/account").status_int == 200

    testapp.post_form("/password-reset", {"email": "taro@example.jp"})
    path = link_in(outbox()[0], "/password-reset/")
    token = dbsession.scalar(select(EmailToken).where(EmailToken.purpose == "reset"))
    assert token.expires - token.created == timedelta(hours=1)
    assert testapp.get(path).status_int == 200

    weak = _reset(testapp, path, "password1", status=400)
    assert "推測されやすい" in weak.text
    assert _reset(testapp, path, NEW, NEW + "x", status=400)
    _reset(testapp, path)
    dbsession.expire_all()
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert phone.get("/account", status=303)  # the other device is signed out
    _reset(testapp, path, "yet-another-phrase-9", status=400)  # single use
    testapp.login("taro@example.jp", status=400)
    testapp.login("taro@example.jp", NEW, status=303)
    entry = dbsession.scalar(select(AuditEntry).where(AuditEntry.action == "password.reset"))
    assert entry.actor_id == user.id and NEW not in str(entry.detail)


def test_an_expired_reset_link_is_refused(testapp, dbsession, make_user, outbox):
    make_user(email="taro@example.jp")
    testapp.post_form("/password-reset", {"email": "taro@example.jp"})
    path = link_in(outbox()[0], "/password-reset/")
    token = dbsession.scalar(select(EmailToken))
    token.expires = utcnow() - timedelta(seconds=1)
    dbsession.commit()
    assert "このリンクは無効です" in testapp.get(path, status=400).text
    _reset(testapp, path, status=400)


def test_a_newer_reset_link_retires_the_older_one(testapp, make_user, outbox):
    make_user(email="taro@example.jp")
    testapp.post_form("/password-reset", {"email": "taro@example.jp"})
    testapp.post_form("/password-reset", {"email": "taro@example.jp"})
    first, second = (link_in(m, "/password-reset/") for m in outbox())
    testapp.get(first, status=400)
    _reset(testapp, second)


def test_reset_links_use_the_configured_base_url_not_the_host_header(testapp, make_user, outbox):
    make_user(email="taro@example.jp")
    token = testapp.csrf_token()
    # the cookie jar keeps cookies per host, so the forged host gets them by hand
    testapp.post("/password-reset", {"email": "taro@example.jp", "csrf_token": token},
                 extra_environ={"HTTP_HOST": "evil.example"},
                 headers={"Cookie": f"kairan_csrf={token}"})
    body = outbox()[0].body
    assert "evil.example" not in body and "http://localhost/password-reset/" in body


def test_disabled_accounts_get_no_reset_mail(testapp, make_user, outbox):
    make_user(email="off@example.jp", status="disabled")
    testapp.post_form("/password-reset", {"email": "off@example.jp"})
    assert outbox() == []


def test_account_mails_to_one_address_are_limited(testapp, make_user, outbox, registry):
    make_user(email="taro@example.jp")
    limit = registry.settings["kairan.accounts.mail_limit"]
    answers = {testapp.post_form("/password-reset", {"email": "taro@example.jp"}).text
               for _ in range(limit + 3)}
    assert len(answers) == 1  # the page does not tell that the limit held a mail back
    assert len(outbox()) == limit
