"""A resident pays at a demo shop by typing its code (no JavaScript needed), and the
shop's staff see the payment with its receipt code; every page checked with axe."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

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
    page.get_by_label("お店のコード").fill(code)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_load_state()
    assert "回覧板マート" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("県地域ポイント2025", exact=False).check()
    page.get_by_label("支払うポイント数").fill("500")
    page.get_by_role("button", name="次へ").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("500.*ポイントを支払う")).click()
    page.wait_for_load_state()
    assert "/points/payments/" in page.url
    receipt = page.locator(".points-receipt__code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6}", receipt)
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(page, live_server, "shop@example.jp", "kairan-demo-omise-2025")
    page.goto(live_server.url + "/merchant")
    page.get_by_role("link", name="本日の支払い").first.click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert receipt in main and "500" in main
    assert_accessible(page)
