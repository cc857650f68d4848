"""A shop applies in Chromium (no JavaScript of ours), confirms by mail, and an operator
approves it; every page is checked with axe on a phone-sized screen."""

import re

import pytest
from sqlalchemy import select

from kairan.mail.models import OutboxMessage
from tests.browser.conftest import demo_password

pytestmark = pytest.mark.browser


def latest_mail_to(live_server, address):
    with live_server.session() as session:
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == address).order_by(OutboxMessage.id.desc())).first()
        assert message is not None, f"no mail to {address}"
        return message.body


def submit(page):
    page.locator("main form.kairan-form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_apply_confirm_and_approve(live_server, page, assert_accessible):
    page.goto(live_server.url + "/shops/apply")
    assert_accessible(page)
    # sent empty first: the errors are announced and tied to their fields
    submit(page)
    assert page.get_by_role("alert").count() >= 1
    assert_accessible(page)

    page.get_by_label("事業者名（法人名・個人事業主名）").fill("株式会社ブラウザ商店")
    page.get_by_label("店舗名・屋号", exact=False).first.fill("ブラウザ商店")
    page.get_by_label("業種").select_option("retail")
    page.get_by_label("県地域ポイント2025").check()
    page.get_by_label("担当者名").fill("鈴木 一郎")
    page.get_by_label("メールアドレス").fill("browser-shop@example.jp")
    page.get_by_label("担当者の電話番号").fill("022-111-2222")
    shop = page.get_by_role("group", name="店舗", exact=True)
    shop.get_by_label("店舗名").first.fill("ブラウザ商店 本店")
    shop.get_by_label("店舗名（英語・任意）").fill("Browser Shop Main")
    shop.get_by_label("郵便番号").fill("980-0003")
    shop.get_by_label("住所").fill("回覧板市中央3丁目3-3")
    shop.get_by_label("地区").select_option("chuo")
    shop.get_by_label("店舗の電話番号").fill("022-111-2223")
    shop.get_by_label("営業時間").fill("10:00〜19:00")
    page.get_by_label("反社会的勢力", exact=False).check()
    page.get_by_label("第2条第5項", exact=False).check()
    page.get_by_label("換金性の高いもの", exact=False).check()
    submit(page)
    assert "browser-shop@example.jp" in page.locator("main").inner_text()

    body = latest_mail_to(live_server, "browser-shop@example.jp")
    link = re.search(r"https?://\S+(/shops/apply/\S+)", body).group(1)
    page.goto(live_server.url + link)
    assert_accessible(page)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "審査中" in page.locator("main").inner_text()

    operator = demo_password("Operator")
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill(operator.email)
    page.get_by_label("パスワード").fill(operator.password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/manage/merchants/applications")
    assert_accessible(page)
    page.get_by_role("link", name="ブラウザ商店").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("承認：店舗を登録する").check()
    submit(page)
    assert "/manage/merchants/" in page.url
    assert "ブラウザ商店 本店" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_directory_and_a_shop_page(live_server, page, assert_accessible):
    page.goto(live_server.url + "/shops")
    assert_accessible(page)
    page.get_by_label("業種").select_option("drugstore")
    page.get_by_role("button", name="店舗を検索").click()
    page.wait_for_load_state()
    assert "あおば薬局 南口店" in page.locator("main").inner_text()
    assert "回覧板マート" not in page.locator("main ul.merchant-list").inner_text()
    page.get_by_role("link", name="あおば薬局 南口店").click()
    page.wait_for_load_state()
    assert "022-203-5678" in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_demo_staff_prints_a_poster(live_server, page, assert_accessible):
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill("shop@example.jp")
    page.get_by_label("パスワード").fill("kairan-demo-omise-2025")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/merchant")
    assert "回覧板マート" in page.locator("main").inner_text()
    page.get_by_role("link", name="QRコードポスター").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="印刷用ポスター").first.click()
    page.wait_for_load_state()
    assert page.locator("svg.merchant-qr").count() == 1
    assert_accessible(page)
