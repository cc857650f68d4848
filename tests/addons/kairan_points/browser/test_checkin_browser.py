"""Community activities in a phone-sized Chromium: an organiser creates an activity and
prints its QR code; a resident opens the code's link (what the camera does) or types the
code, and sees the award. Every page: axe (WCAG 2.2 AA) and no sideways scrolling."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.addons.kairan_points.browser.helpers import (
    OPERATOR,
    RESIDENT,
    assert_fits_phone,
    community_balance,
    main_text,
    sign_in_as,
    submit,
    tokyo_today,
)

pytestmark = pytest.mark.browser
CODE_RE = re.compile(r"KA1\.\d+\.[A-Za-z0-9_-]+")


def checked(page, assert_accessible):
    assert_accessible(page)
    assert_fits_phone(page)


def make_open_activity(live_server, title, points):
    from kairan_points.earning import services
    from kairan_points.models import Programme

    from kairan.db.meta import utcnow

    with live_server.session() as session:
        programme = session.scalars(select(Programme).where(Programme.code == "community")).one()
        now = utcnow()
        activity = services.create_activity(session, {
            "title": title, "title_en": "Park clean-up", "place": "中央公園",
            "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1),
            "programme_id": programme.id, "points": points}, created_by=None)
        session.commit()
        return activity.id


def test_an_organiser_prints_a_code_and_a_resident_checks_in_with_it(
        live_server, page, assert_accessible):
    sign_in_as(page.context, live_server, OPERATOR)
    page.goto(live_server.url + "/manage/points/activities")
    checked(page, assert_accessible)
    page.get_by_role("link", name="新しい活動").click()
    page.wait_for_load_state()
    checked(page, assert_accessible)
    page.locator("[name=title]").fill("防災訓練と清掃")
    page.locator("[name=title_en]").fill("Disaster drill and clean-up")
    page.locator("[name=place]").fill("市民センター前広場")
    page.locator("[name=day]").fill(tokyo_today().isoformat())
    page.locator("[name=start]").fill("00:00")
    page.locator("[name=end]").fill("23:59")
    page.locator("[name=programme]").select_option(label="地域活動ポイント")
    page.locator("[name=points]").fill("300")
    submit(page, "活動を作成")

    # the printable page: the QR code (an SVG with a title), the code, the count
    assert re.search(r"/manage/points/activities/\d+$", page.url), page.url
    qr = page.locator(".activity-code svg")
    assert qr.count() == 1 and qr.bounding_box()["width"] <= 390
    code = CODE_RE.search(main_text(page)).group(0)
    assert "防災訓練と清掃" in main_text(page)
    checked(page, assert_accessible)
    page.get_by_role("link", name="活動の一覧に戻る").click()
    page.wait_for_load_state()
    assert "防災訓練と清掃" in main_text(page) and "300" in main_text(page)
    checked(page, assert_accessible)

    # the resident's camera opens the QR code's link: the code is filled in
    before = community_balance(live_server, RESIDENT)
    sign_in_as(page.context, live_server, RESIDENT)
    page.goto(live_server.url + "/points/checkin?code=" + quote(code))
    assert page.get_by_label("活動のコード").input_value() == code
    checked(page, assert_accessible)
    submit(page, "チェックイン")
    assert page.url.rstrip("/").endswith("/points")
    assert "防災訓練と清掃にチェックインしました。300ポイントが付与されました。" in \
        page.locator("body").inner_text()
    checked(page, assert_accessible)
    assert community_balance(live_server, RESIDENT) == before + 300


def test_a_resident_types_the_code_without_javascript(live_server, live_server_settings,
                                                      no_js_page, assert_accessible):
    from kairan_points.earning import services

    page = no_js_page
    activity_id = make_open_activity(live_server, "公園の花植え", 150)
    code = services.sign(live_server_settings["kairan.secret"], activity_id)
    before = community_balance(live_server, RESIDENT)
    sign_in_as(page.context, live_server, RESIDENT)
    page.goto(live_server.url + "/points/checkin")
    assert_fits_phone(page)
    # typed on a phone: full-width characters and spaces around are forgiven
    page.get_by_label("活動のコード").fill("  " + code + " ")
    submit(page, "チェックイン")
    assert "公園の花植えにチェックインしました。150ポイントが付与されました。" in \
        page.locator("body").inner_text()
    assert community_balance(live_server, RESIDENT) == before + 150

    # a second check-in at the same activity is refused with a message, and pays nothing
    page.goto(live_server.url + "/points/checkin")
    page.get_by_label("活動のコード").fill(code)
    submit(page, "チェックイン")
    assert page.locator("[role=alert]").count() >= 1
    assert_fits_phone(page)
    assert community_balance(live_server, RESIDENT) == before + 150
