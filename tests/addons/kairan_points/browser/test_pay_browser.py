"""A resident pays at a demo shop by typing its code (no JavaScript needed), and the
shop's staff see the payment with its receipt code; every page checked with axe."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.addons.kairan_points.browser.helpers import (
    RESIDENT,
    SHOP_STAFF,
    assert_fits_phone,
    demo_shop,
    main_text,
    sign_in_as,
)

pytestmark = pytest.mark.browser


def shop_code(live_server, live_server_settings):
    """The demo shop's payload, through ``IMerchantDirectory.payload_for``."""
    from kairan_merchants.directory import MerchantDirectory
    from kairan_merchants.models import Merchant

    with live_server.session() as session:
        merchant = session.scalars(select(Merchant).where(Merchant.name == "回覧板マート")).one()
        request = SimpleNamespace(dbsession=session,
                                  registry=SimpleNamespace(settings=live_server_settings))
        return MerchantDirectory().payload_for(request, merchant.branches[0].id)


def sign_in(page, live_server, email, password):
    page.goto(live_server.url + "/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_resident_pays_and_the_shop_sees_it(live_server, live_server_settings, page,
                                              assert_accessible):
    code = shop_code(live_server, live_server_settings)
    sign_in(page, live_server, "resident@example.jp", "kairan-demo-jumin-2025")
    page.goto(live_server.url + "/points/pay")
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_label("お店のコード").fill(code)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_load_state()
    assert "回覧板マート" in page.locator("main").inner_text()
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_label("県地域ポイント2025", exact=False).check()
    page.get_by_label("支払うポイント数").fill("500")
    page.get_by_role("button", name="次へ").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_role("button", name=re.compile("500.*ポイントを支払う")).click()
    page.wait_for_load_state()
    assert "/points/payments/" in page.url
    receipt = page.locator(".points-receipt__code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6}", receipt)
    assert_accessible(page)
    assert_fits_phone(page)

    page.context.clear_cookies()
    sign_in(page, live_server, "shop@example.jp", "kairan-demo-omise-2025")
    page.goto(live_server.url + "/merchant")
    page.get_by_role("link", name="本日の支払い").first.click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert receipt in main and "500" in main
    assert_accessible(page)
    assert_fits_phone(page)


def test_a_one_time_code_paid_without_javascript_then_refunded(
        live_server, live_server_settings, page, no_js_page, assert_accessible):
    """The shop shows a one-time QR code for 250 points; a resident whose browser runs no
    JavaScript types it and pays; the shop sees the payment and refunds 100 of it; the
    code cannot be used twice."""
    merchant_id, _code = demo_shop(live_server, live_server_settings)
    sign_in_as(page.context, live_server, SHOP_STAFF)
    page.goto(live_server.url + f"/merchant/{merchant_id}/payments")
    page.locator("#one-time-amount").fill("250")
    page.get_by_role("button", name="コードを表示する").click()
    page.wait_for_load_state()
    assert page.locator(".points-one-time__qr svg").count() == 1
    assert "250" in main_text(page)
    one_time = page.locator(".points-one-time__text").inner_text()
    assert_accessible(page)
    assert_fits_phone(page)

    resident = no_js_page
    sign_in_as(resident.context, live_server, RESIDENT)
    resident.goto(live_server.url + "/points/pay")
    resident.get_by_label("お店のコード").fill(one_time)
    resident.get_by_role("button", name="次へ").click()
    resident.wait_for_load_state()
    assert "お店が指定した金額：250ポイント" in main_text(resident)
    assert resident.locator("#pay-amount").count() == 0
    assert_fits_phone(resident)
    resident.get_by_role("button", name="次へ").click()
    resident.wait_for_load_state()
    assert_fits_phone(resident)
    resident.get_by_role("button", name=re.compile("250.*ポイントを支払う")).click()
    resident.wait_for_load_state()
    assert "/points/payments/" in resident.url
    receipt = resident.locator(".points-receipt__code").inner_text()
    assert_fits_phone(resident)
    # the same one-time code again: refused with a message, nothing paid
    resident.goto(live_server.url + "/points/pay")
    resident.get_by_label("お店のコード").fill(one_time)
    resident.get_by_role("button", name="次へ").click()
    resident.wait_for_load_state()
    assert resident.locator("main [role=alert]").count() == 1
    assert_fits_phone(resident)

    page.get_by_role("link", name="本日の支払い").click()
    page.wait_for_load_state()
    row = page.locator("main tbody tr").filter(has_text=receipt)
    assert row.count() == 1
    assert_accessible(page)
    assert_fits_phone(page)
    row.get_by_label(f"受付番号{receipt}の返金ポイント数").fill("100")
    row.get_by_role("button").click()
    page.wait_for_load_state()
    assert "返金しました。" in page.locator("body").inner_text()
    cells = page.locator("main tbody tr").filter(has_text=receipt).locator("td")
    assert cells.all_inner_texts()[1:4] == [receipt, "250", "100"]
    assert_accessible(page)
    assert_fits_phone(page)
