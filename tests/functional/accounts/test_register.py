"""Registration and e-mail verification (issue 2, "Accounts and security")."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from kairan.accounts.models import EmailToken, User
from kairan.db.meta import utcnow
from tests.functional.accounts.conftest import link_in, register

PASSWORD = "kawa-no-nagare-ni"


def _user(dbsession, email="hanako@example.jp"):
    dbsession.expire_all()
    return dbsession.scalar(select(User).where(User.email == email))


def test_register_creates_a_pending_user_and_mails_a_hashed_single_use_link(
        testapp, dbsession, outbox):
    response = register(testapp, email="Hanako@Example.JP")
    assert "メールをご確認ください" in response.text
    user = _user(dbsession)
    assert user.status == "pending" and user.display_name == "山田花子"
    assert user.password_hash.startswith("$argon2id$")
    [mail] = outbox()
    assert mail.recipient == "hanako@example.jp"
    path = link_in(mail, "/verify/")
    raw = path.rsplit("/", 1)[1]
    token = dbsession.scalar(select(EmailToken).where(EmailToken.user_id == user.id))
    assert token.id == hashlib.sha256(raw.encode()).hexdigest() and raw not in token.id
    assert timedelta(hours=23, minutes=59) < token.expires - token.created <= timedelta(hours=24)

    # the link itself changes nothing (mail scanners open links)
    page = testapp.get(path)
    assert "メールアドレスを確認する" in page.text
    assert _user(dbsession).status == "pending"
    response = testapp.post_form(path, {}, status=303)
    assert response.location.endswith("/login")
    user = _user(dbsession)
    assert user.status == "active" and user.email_verified_at is not None
    # single use
    assert testapp.post_form(path, {}, status=400)
    assert "このリンクは無効です" in testapp.get(path, status=400).text
    assert testapp.login("hanako@example.jp", PASSWORD).status_int == 303


def test_an_expired_verification_link_is_refused(testapp, dbsession, outbox):
    register(testapp)
    path = link_in(outbox()[0], "/verify/")
    token = dbsession.scalar(select(EmailToken))
    token.expires = utcnow() - timedelta(seconds=1)
    dbsession.commit()
    testapp.post_form(path, {}, status=400)
    assert _user(dbsession).status == "pending"


def test_a_made_up_link_is_refused(testapp):
    testapp.get("/verify/not-a-real-token", status=400)
    testapp.get("/verify/" + "x" * 300, status=400)


def test_registering_an_existing_address_reveals_nothing(testapp, dbsession, make_user, outbox):
    make_user(email="taro@example.jp", display_name="鈴木太郎")
    new = register(testapp, email="new@example.jp")
    again = register(testapp, email="taro@example.jp")
    assert new.status_int == again.status_int == 200
    assert new.text == again.text
    assert dbsession.scalar(select(User).where(User.email == "taro@example.jp")).status == "active"
    mails = outbox()
    assert [m.recipient for m in mails] == ["new@example.jp", "taro@example.jp"]
    assert "/verify/" not in mails[1].body and "/password-reset" in mails[1].body


def test_registering_again_while_pending_sends_a_new_link(testapp, dbsession, outbox):
    register(testapp)
    register(testapp)
    assert len(dbsession.scalars(select(User)).all()) == 1
    mails = outbox()
    assert len(mails) == 2 and all("/verify/" in m.body for m in mails)


def test_extra_fields_cannot_make_an_active_manager(testapp, dbsession):
    testapp.post_form("/register", {
        "email": "sly@example.jp", "display_name": "Sly", "new_password": PASSWORD,
        "confirm_password": PASSWORD, "status": "active", "role": "Manager",
        "roles": "Manager", "user_id": "1", "email_verified_at": "2020-01-01",
    })
    user = _user(dbsession, "sly@example.jp")
    assert user.status == "pending" and user.role_names == [] and user.email_verified_at is None


def test_password_policy_on_registration(testapp, dbsession):
    def attempt(password, confirm=None, name="山田花子", email="hanako@example.jp"):
        return testapp.post_form("/register", {
            "email": email, "display_name": name, "new_password": password,
            "confirm_password": password if confirm is None else confirm,
        }, status="*")

    short = attempt("a" * 7 + "")
    assert short.status_int == 400 and "8文字以上" in short.text
    assert 'aria-describedby="error-' in short.text and 'aria-invalid="true"' in short.text
    assert attempt("b7" * 64 + "x").status_int == 400  # 129 characters
    assert "推測されやすい" in attempt("password123").text
    assert "推測されやすい" in attempt("PASSWORD123").text  # case folded
    assert "お名前" in attempt("hanako-desu-yo", email="hanako@example.jp").text
    assert "お名前" in attempt("my-yamada-password", name="Yamada").text
    assert "お名前" in attempt("kairan-no-machi-2025").text
    assert "一致しません" in attempt("kawa-no-nagare-ni", "kawa-no-nagare-ne").text
    assert _user(dbsession) is None
    # 8 and 128 characters are fine, spaces and any script included
    assert attempt("ab cd ef").status_int == 200
    assert attempt("長" * 128, email="long@example.jp").status_int == 200


def test_a_long_password_is_never_truncated(testapp, dbsession, make_user):
    password = "".join(chr(0x3042 + i % 80) for i in range(100))
    make_user(email="long@example.jp", password=password)
    changed = password[:79] + "x" + password[80:]
    assert testapp.login("long@example.jp", changed, status=400)
    assert testapp.login("long@example.jp", password[:72], status=400)
    assert testapp.login("long@example.jp", password, status=303)
