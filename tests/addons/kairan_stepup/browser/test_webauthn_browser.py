"""Security keys and passkeys in real Chromium, with the DevTools protocol's virtual
authenticator standing in for the key or the phone: register, sign out, sign in,
step up to level 3 and open a protected page."""

import pytest
from kairan_stepup.webauthn.models import WebAuthnCredential
from sqlalchemy import select

from kairan.accounts.models import User
from kairan.accounts.passwords import hash_password
from kairan.db.meta import utcnow

PASSWORD = "aozora-no-kagi-2024"
PROTECTED = "/test/webauthn/top"  # needs level 3 (tests/addons/kairan_stepup/webauthn_addon)


def create_resident(live_server, email):
    with live_server.session() as session:
        session.add(User(email=email, display_name="鍵井 花子",
                         password_hash=hash_password(PASSWORD), status="active",
                         created=utcnow(), email_verified_at=utcnow()))
        session.commit()


def virtual_authenticator(page, **options):
    """A CTAP2 authenticator in the browser: touched and verified automatically."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": False,
               "hasUserVerification": True, "isUserVerified": True,
               "automaticPresenceSimulation": True, **options}
    authenticator_id = cdp.send("WebAuthn.addVirtualAuthenticator",
                                {"options": options})["authenticatorId"]
    return cdp, authenticator_id


def sign_in_with_password(page, live_server, email, came_from=None):
    page.goto(live_server.url + "/login" + (f"?came_from={came_from}" if came_from else ""))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def register_key(page, live_server, nickname, assert_accessible):
    page.goto(live_server.url + "/webauthn/keys")
    assert_accessible(page)
    page.get_by_label("キーの名前").fill(nickname)
    page.get_by_role("button", name="キーを登録する").click()
    page.locator("table").get_by_text(nickname).wait_for()
    assert "を登録しました" in page.locator(".flash").inner_text()
    assert_accessible(page)


def sign_out(page, live_server):
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/dashboard")
    assert "/login" in page.url


def stored_credentials(live_server, email):
    with live_server.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        return list(session.scalars(select(WebAuthnCredential)
                                    .where(WebAuthnCredential.user_id == user.id)))


def test_a_security_key_registers_and_steps_up_to_level_3(live_server, page, assert_accessible):
    email = "kagi.hanako@example.jp"
    create_resident(live_server, email)
    cdp, authenticator_id = virtual_authenticator(page, transport="usb")
    sign_in_with_password(page, live_server, email)
    register_key(page, live_server, "青いキー", assert_accessible)
    [credential] = stored_credentials(live_server, email)
    assert (credential.backup_eligible, credential.user_verified) == (False, True)

    sign_out(page, live_server)
    sign_in_with_password(page, live_server, email)
    page.goto(live_server.url + PROTECTED)
    assert "/stepup" in page.url  # level 1 is not enough
    assert_accessible(page)
    page.get_by_role("link", name="セキュリティキー").click()
    page.wait_for_url("**/webauthn/stepup**")
    assert_accessible(page)
    page.get_by_role("button", name="セキュリティキーを使う").click()
    page.wait_for_url("**" + PROTECTED)
    assert "level 3 page" in page.locator("h1").inner_text()
    [credential] = stored_credentials(live_server, email)
    assert credential.last_used is not None
    # the browser's key really signed: its counter moved on
    [on_key] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"]
    assert on_key["signCount"] >= 1


@pytest.mark.parametrize("synced", [False, True], ids=["device-bound", "synced"])
def test_a_passkey_signs_in_without_a_password(live_server, page, assert_accessible, synced):
    email = f"passkey.{'synced' if synced else 'device'}@example.jp"
    create_resident(live_server, email)
    cdp, authenticator_id = virtual_authenticator(
        page, transport="internal", hasResidentKey=True,
        defaultBackupEligibility=synced, defaultBackupState=synced)
    sign_in_with_password(page, live_server, email)
    register_key(page, live_server, "わたしのスマホ", assert_accessible)
    [credential] = stored_credentials(live_server, email)
    assert credential.backup_eligible is synced
    [on_key] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"]
    assert on_key["isResidentCredential"] is True

    sign_out(page, live_server)
    page.goto(live_server.url + "/login?came_from=/test/webauthn/two")
    page.get_by_role("link", name="パスキー").click()
    page.wait_for_url("**/webauthn/signin**")
    assert_accessible(page)
    page.get_by_role("button", name="パスキーでログイン").click()
    page.wait_for_url("**/test/webauthn/two")
    assert "page" in page.locator("h1").inner_text()

    page.goto(live_server.url + PROTECTED)
    if synced:
        # a synced passkey proves level 2 only: the level-3 page asks for a security key
        assert "/stepup" in page.url
        assert page.get_by_role("link", name="パスキー").count() == 0
        assert_accessible(page)
    else:
        # a passkey that never leaves its device, unlocked with biometrics: level 3
        assert "level 3 page" in page.locator("h1").inner_text()
