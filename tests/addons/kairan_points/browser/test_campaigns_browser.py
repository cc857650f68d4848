"""A points campaign in a phone-sized Chromium: operators create it and commit to a seed's
SHA-256; a resident applies and sees the status; after the window the operator (at
level 2, the draw is the protected action ``points.grant``) runs the draw; the winner
accepts and gets the points. Every page: axe (WCAG 2.2 AA) and no sideways scrolling.
The resident's part runs again with JavaScript off."""

import hashlib
import re
from datetime import timedelta

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
SEED = "kairan-browser-seed-2025-" + "x" * 8


def checked(page, assert_accessible):
    assert_accessible(page)
    assert_fits_phone(page)


def close_the_window(live_server, code):
    """Move the campaign's application window into the past (the draw runs after it)."""
    from kairan_points.campaigns.models import Campaign

    from kairan.db.meta import utcnow

    with live_server.session() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.code == code)).one()
        campaign.opens_at = utcnow() - timedelta(days=2)
        campaign.closes_at = utcnow() - timedelta(seconds=1)
        session.commit()


def make_open_campaign(live_server, code, title):
    from kairan_points.campaigns import services
    from kairan_points.models import Programme

    from kairan.db.meta import utcnow

    with live_server.session() as session:
        programme = session.scalars(select(Programme).where(Programme.code == "community")).one()
        campaign = services.create_campaign(session, {
            "code": code, "title": title, "title_en": "", "programme_id": programme.id,
            "points": 100, "capacity": 5, "opens_at": utcnow() - timedelta(hours=1),
            "closes_at": utcnow() + timedelta(days=3), "min_level": 1,
            "excluded_campaign_id": None, "accept_days": 7}, None)
        session.commit()
        return campaign.id


def test_operators_run_a_campaign_and_a_resident_applies_wins_and_accepts(
        live_server, page, assert_accessible):
    seed_hash = hashlib.sha256(SEED.encode()).hexdigest()
    sign_in_as(page.context, live_server, OPERATOR, level=2)
    page.goto(live_server.url + "/manage/points/campaigns")
    checked(page, assert_accessible)
    page.get_by_role("link", name="新しいキャンペーン").click()
    page.wait_for_load_state()
    checked(page, assert_accessible)
    today = tokyo_today()
    page.locator("[name=code]").fill("browser-spring")
    page.locator("[name=title]").fill("春の地域活動応援キャンペーン")
    page.locator("[name=title_en]").fill("Spring community campaign")
    page.locator("[name=programme]").select_option(label="地域活動ポイント")
    page.locator("[name=points]").fill("200")
    page.locator("[name=capacity]").fill("1")
    page.locator("[name=opens_on]").fill(today.isoformat())
    page.locator("[name=closes_on]").fill((today + timedelta(days=7)).isoformat())
    page.locator("[name=min_level]").fill("1")
    page.locator("[name=accept_days]").fill("7")
    submit(page, "キャンペーンを作成")
    assert re.search(r"/manage/points/campaigns/\d+$", page.url), page.url
    detail_url = page.url
    assert "春の地域活動応援キャンペーン" in main_text(page)
    checked(page, assert_accessible)
    page.get_by_label(re.compile("SHA-256")).fill(seed_hash)
    submit(page, "シード値を確定する")
    assert page.url == detail_url
    assert seed_hash in main_text(page) and "シード値確定済み" in main_text(page)
    checked(page, assert_accessible)  # the 64-digit hash fits a phone too
    page.get_by_role("link", name="キャンペーンの一覧に戻る").click()
    page.wait_for_load_state()
    assert "browser-spring" in main_text(page) and "シード値確定済み" in main_text(page)
    checked(page, assert_accessible)

    # the resident sees the open campaign with the published hash, applies
    sign_in_as(page.context, live_server, RESIDENT)
    page.goto(live_server.url + "/points/campaigns")
    assert seed_hash in main_text(page)
    checked(page, assert_accessible)
    campaign = page.locator("main li").filter(has_text="春の地域活動応援キャンペーン")
    assert campaign.count() == 1, main_text(page)
    submit(page, "応募する", within=campaign)
    assert page.url.endswith("/points/campaigns")
    assert "応募を受け付けました。" in page.locator("body").inner_text()
    assert "応募済み：抽選前" in main_text(page) and "応募済みです。" in main_text(page)
    checked(page, assert_accessible)

    # after the window the operator reveals the seed and draws
    close_the_window(live_server, "browser-spring")
    sign_in_as(page.context, live_server, OPERATOR, level=2)
    page.goto(detail_url)
    page.get_by_label(re.compile("シード値|seed", re.IGNORECASE)).last.fill(SEED)
    submit(page, "抽選を行う")
    assert page.url == detail_url, page.url
    text = main_text(page)
    assert "抽選を行いました。" in page.locator("body").inner_text()
    assert "抽選済み" in text and "保存された順位と一致します。" in text and RESIDENT in text
    checked(page, assert_accessible)

    # the winner accepts within the period and gets the points
    before = community_balance(live_server, RESIDENT)
    sign_in_as(page.context, live_server, RESIDENT)
    page.goto(live_server.url + "/points/campaigns")
    assert "当選：" in main_text(page)
    checked(page, assert_accessible)
    submit(page, "ポイントを受け取る")
    assert "受諾しました。ポイントが付与されました。" in page.locator("body").inner_text()
    assert "受諾済み：ポイントはウォレットに入っています" in main_text(page)
    checked(page, assert_accessible)
    assert community_balance(live_server, RESIDENT) == before + 200


def test_a_resident_applies_without_javascript(live_server, no_js_page):
    page = no_js_page
    make_open_campaign(live_server, "browser-no-js", "秋の見守り活動キャンペーン")
    sign_in_as(page.context, live_server, RESIDENT)
    page.goto(live_server.url + "/points/campaigns")
    assert_fits_phone(page)
    item = page.locator("main li").filter(has_text="秋の見守り活動キャンペーン")
    item.get_by_role("button", name="応募する").click()
    page.wait_for_load_state()
    assert page.url.endswith("/points/campaigns")
    assert "応募を受け付けました。" in page.locator("body").inner_text()
    items = page.locator("main li").filter(has_text="秋の見守り活動キャンペーン")
    assert items.filter(has_text="応募済み：抽選前").count() == 1
    assert items.filter(has=page.get_by_role("button", name="応募する")).count() == 0
    assert_fits_phone(page)
