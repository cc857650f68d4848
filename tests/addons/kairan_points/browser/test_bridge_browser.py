"""The regional currency bridge's pages in the browser: a resident moves points (also
without JavaScript), the operators' outbox; axe (WCAG 2.2 AA) and no sideways scrolling at
390 px, in Japanese and English. The live server uses the in-memory NullCurrencyBridge."""

import pytest
from sqlalchemy import select

from tests.addons.kairan_points.browser.helpers import (
    OPERATOR,
    RESIDENT,
    assert_fits_phone,
    main_text,
    sign_in_as,
    user_id,
)
from tests.browser.conftest import live_server_settings as base_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server_settings(tmp_path_factory, live_port):
    return {**base_settings.__wrapped__(tmp_path_factory, live_port),
            "kairan.points.bridge.connector":
                "kairan_points.bridge.connector.NullCurrencyBridge"}


def regional_balance(live_server):
    from kairan_points import ledger
    from kairan_points.models import Programme

    with live_server.session() as session:
        programme = session.scalars(select(Programme).where(
            Programme.code == "regional2025")).one()
        wallet = ledger.wallet_account(session, programme.id, user_id(live_server, RESIDENT),
                                       create=False)
        return wallet.balance


def move(page, live_server, amount):
    page.goto(live_server.url + "/points/bridge")
    page.get_by_label("県地域ポイント2025", exact=False).check()
    page.get_by_label("移すポイント数", exact=False).fill(str(amount))
    page.get_by_role("button", name="次へ").click()
    assert f"{amount:,}" in main_text(page)


def test_a_resident_moves_points_to_the_app(live_server, page, assert_accessible):
    sign_in_as(page.context, live_server, RESIDENT, level=2)
    before = regional_balance(live_server)
    page.goto(live_server.url + "/points")
    page.get_by_role("link", name="地域通貨アプリ", exact=False).first.click()
    assert page.url.endswith("/points/bridge")
    assert_accessible(page)
    assert_fits_phone(page)
    move(page, live_server, 250)
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_role("button", name="250 ポイントを移す").click()
    assert page.url.endswith("/points/bridge")
    text = main_text(page)
    assert "250" in text and "送信待ち" in text
    assert_accessible(page)
    assert regional_balance(live_server) == before - 250

    # the same in English, and a refusal with its message
    page.context.add_cookies([{"name": "kairan_locale", "value": "en",
                               "url": live_server.url}])
    page.goto(live_server.url + "/points/bridge/confirm?programme=1&amount=abc")
    assert "Enter a whole number of points greater than zero." in main_text(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)
    assert_fits_phone(page)
    assert regional_balance(live_server) == before - 250


def test_without_javascript_and_the_operators_outbox(live_server, no_js_page, page,
                                                     assert_accessible):
    sign_in_as(no_js_page.context, live_server, RESIDENT, level=2)
    before = regional_balance(live_server)
    move(no_js_page, live_server, 120)
    no_js_page.get_by_role("button", name="120 ポイントを移す").click()
    assert "送信待ち" in main_text(no_js_page)
    assert regional_balance(live_server) == before - 120

    sign_in_as(page.context, live_server, OPERATOR, level=2)
    page.goto(live_server.url + "/manage/points/bridge?status=pending")
    text = main_text(page)
    assert "120" in text
    assert_accessible(page)
    assert_fits_phone(page)
