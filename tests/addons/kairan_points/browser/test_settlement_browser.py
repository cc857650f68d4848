"""Settlement in a phone-sized Chromium: the shop's monthly statement (its page, another
month, a refused month, the CSV download) and the operators' settlement page (the month's
rows, the XLSX file, closing an ended month). Every page: axe (WCAG 2.2 AA) and no
sideways scrolling; the shop's statement also without JavaScript."""

import csv
import io

import pytest

from tests.addons.kairan_points.browser.helpers import (
    OPERATOR,
    RESIDENT,
    SHOP_NAME,
    SHOP_STAFF,
    assert_fits_phone,
    demo_shop,
    main_text,
    pay_in_database,
    sign_in_as,
    tokyo_today,
)

pytestmark = pytest.mark.browser


def checked(page, assert_accessible):
    assert_accessible(page)
    assert_fits_phone(page)


def this_month():
    return tokyo_today().strftime("%Y-%m")


def last_month():
    today = tokyo_today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def show_period(page, period):
    period_form = page.locator("main form[method=get]")
    period_form.locator("input[name=period]").fill(period)
    period_form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def paid(live_server, live_server_settings):
    """Two payments at the demo shop this month (420 and 80 points of the regional points)."""
    pay_in_database(live_server, live_server_settings, RESIDENT, "regional2025", 420)
    pay_in_database(live_server, live_server_settings, RESIDENT, "regional2025", 80)
    return demo_shop(live_server, live_server_settings)[0]


def test_the_shop_reads_and_downloads_its_monthly_statement(live_server, paid, page,
                                                            assert_accessible):
    merchant_id = paid
    sign_in_as(page.context, live_server, SHOP_STAFF)
    page.goto(live_server.url + "/merchant")
    page.get_by_role("link", name="月次精算明細").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/merchant/{merchant_id}/statement")
    row = page.locator("main tbody tr").filter(has_text="県地域ポイント2025")
    assert row.locator("td").all_inner_texts() == ["2", "500", "0", "0", "500"]
    assert this_month() in main_text(page)
    checked(page, assert_accessible)

    with page.expect_download() as download:
        page.get_by_role("button", name="CSVでダウンロード").click()
    body = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and rows[1][0] == this_month()
    assert rows[1][-5:] == ["2", "500", "0", "0", "500"]

    show_period(page, last_month())
    assert "この月の支払い・返金はありません。" in main_text(page)
    checked(page, assert_accessible)
    show_period(page, "2025-13")
    assert page.locator("main [role=alert]").count() == 1
    checked(page, assert_accessible)


def test_the_statement_works_without_javascript(live_server, paid, no_js_page):
    page = no_js_page
    sign_in_as(page.context, live_server, SHOP_STAFF)
    page.goto(live_server.url + f"/merchant/{paid}/statement?period={last_month()}")
    assert "この月の支払い・返金はありません。" in main_text(page)
    show_period(page, this_month())
    row = page.locator("main tbody tr").filter(has_text="県地域ポイント2025")
    assert row.locator("td").all_inner_texts() == ["2", "500", "0", "0", "500"]
    assert_fits_phone(page)


def test_operators_see_download_and_close_the_settlement(live_server, paid, page,
                                                         assert_accessible):
    sign_in_as(page.context, live_server, OPERATOR, level=2)
    page.goto(live_server.url + "/manage/points/settlement")
    text = main_text(page)
    assert page.get_by_label("対象月（YYYY-MM）").input_value() == this_month()
    assert "この月は締められていません。" in text
    row = page.locator("main tbody tr").filter(has_text=SHOP_NAME)
    assert row.locator("td").all_inner_texts()[-5:] == ["2", "500", "0", "0", "500"]
    checked(page, assert_accessible)

    page.locator("select[name=format]").select_option("xlsx")
    with page.expect_download() as download:
        page.get_by_role("button", name="精算ファイルをダウンロード").click()
    assert download.value.suggested_filename == f"settlement-{this_month()}.xlsx"
    assert download.value.path().read_bytes()[:2] == b"PK"  # a zip: an .xlsx file

    show_period(page, last_month())
    checked(page, assert_accessible)
    page.get_by_role("button", name="この月を締める").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/manage/points/settlement?period={last_month()}")
    assert "月を締めました。" in page.locator("body").inner_text()
    assert "記録済み明細は台帳と一致しています。" in main_text(page) and OPERATOR in main_text(page)
    assert page.get_by_role("button", name="この月を締める").count() == 0
    checked(page, assert_accessible)
