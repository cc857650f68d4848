"""The security settings and authenticator-app pages in real Chromium, with axe on each:
set up an app (reading the key from the page, codes from pyotp), see the recovery codes
once, then confirm it is you with a code on the step-up page."""

import time

import pyotp

from tests.browser.conftest import demo_password


def sign_in_as_resident(page, live_server):
    resident = demo_password("Member")
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill(resident.email)
    page.get_by_label("パスワード").fill(resident.password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_resident_sets_up_an_app_and_steps_up_with_it(live_server, page,
                                                        assert_accessible):
    sign_in_as_resident(page, live_server)
    page.goto(live_server.url + "/account/security")
    assert page.locator("h1").inner_text() != ""
    assert_accessible(page)

    page.goto(live_server.url + "/account/security/totp")
    assert page.locator(".totp-qr-wrap svg").count() == 1
    assert_accessible(page)
    key = page.locator("code.totp-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(key)
    page.get_by_label("6桁のコード").fill(totp.now())
    page.get_by_role("button", name="設定を完了する").click()
    page.wait_for_load_state()
    codes = page.locator("main li code, main .recovery-codes li")
    assert codes.count() >= 10, page.locator("main").inner_text()
    assert_accessible(page)

    # a protected page asks for level 2; the step-up page offers the app
    page.goto(live_server.url + "/stepup?level=2&came_from=/account/security")
    assert_accessible(page)
    page.get_by_role("link", name="認証アプリのコード").click()
    page.wait_for_load_state()
    assert_accessible(page)
    # the next time step (the window accepts ±1): the set-up code is spent
    page.get_by_label("6桁のコード").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="確認する").click()
    page.wait_for_load_state()
    assert page.url.endswith("/account/security")
    assert "認証アプリ" in page.locator("main").inner_text()
