"""A resident registers, confirms the address from the mail, signs in and out."""

import re

from sqlalchemy import select

from kairan.mail.models import OutboxMessage

PASSWORD = "hoshi-zora-no-shita-77"


def latest_mail_to(live_server, address):
    with live_server.session() as session:
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"no mail to {address} in the outbox"
        return message.body


def test_resident_registers_verifies_signs_in_and_out(live_server, page, assert_accessible):
    address = "yamada.taro@example.jp"
    page.goto(live_server.url + "/register")
    assert_accessible(page)
    page.get_by_label("メールアドレス").fill(address)
    page.get_by_label("表示名").fill("山田 太郎")
    page.get_by_label("パスワード", exact=False).first.fill(PASSWORD)
    page.get_by_label("パスワード（確認）").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert_accessible(page)

    link = re.search(r"https?://\S+/verify/\S+", latest_mail_to(live_server, address)).group(0)
    page.goto(live_server.url + link[link.index("/verify/"):])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/login**")

    page.get_by_label("メールアドレス").fill(address)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/dashboard")
    assert page.url.endswith("/dashboard")
    assert "山田 太郎" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/dashboard")
    assert "/login" in page.url  # the old session is gone on the server


def test_wrong_password_is_refused_with_a_message(live_server, page, assert_accessible):
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill("resident@example.jp")
    page.get_by_label("パスワード").fill("not-the-password-123")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").count() >= 1
    assert "/login" in page.url
    assert_accessible(page)
