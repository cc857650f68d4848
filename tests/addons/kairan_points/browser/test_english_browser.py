"""The points pages in English (longer words than Japanese) on a 390 px phone: axe
(WCAG 2.2 AA, including the page's language) and no sideways scrolling."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.addons.kairan_points.browser.helpers import (
    OPERATOR,
    RESIDENT,
    SHOP_STAFF,
    assert_fits_phone,
    demo_shop,
    main_text,
    pay_in_database,
    sign_in_as,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def english_data(live_server, live_server_settings):
    """An open activity, a campaign with a committed seed, the resident's application and a
    payment at the demo shop; returns (activity id, campaign id, merchant id)."""
    from kairan_points.campaigns import services as campaigns
    from kairan_points.earning import services as earning
    from kairan_points.models import Programme

    from kairan.db.meta import utcnow
    from tests.addons.kairan_points.browser.helpers import user_id

    pay_in_database(live_server, live_server_settings, RESIDENT, "regional2025", 1234)
    with live_server.session() as session:
        community = session.scalars(select(Programme).where(Programme.code == "community")).one()
        now = utcnow()
        activity = earning.create_activity(session, {
            "title": "河川敷の清掃", "title_en": "Riverside clean-up with the neighbourhood "
            "association", "place": "広瀬川河川敷", "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=2), "programme_id": community.id, "points": 300},
            created_by=None)
        campaign = campaigns.create_campaign(session, {
            "code": "english-autumn", "title": "秋のキャンペーン",
            "title_en": "Autumn community-participation encouragement campaign",
            "programme_id": community.id, "points": 500, "capacity": 10,
            "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=5),
            "min_level": 1, "excluded_campaign_id": None, "accept_days": 7}, None)
        session.flush()
        campaigns.commit_seed(session, campaign,
                              hashlib.sha256(b"english-seed-0123456789").hexdigest())
        campaigns.apply(session, campaign, user_id(live_server, RESIDENT), 1)
        session.commit()
        merchant_id = demo_shop(live_server, live_server_settings)[0]
        return activity.id, campaign.id, merchant_id


def english(page, live_server):
    page.context.add_cookies([{"name": "kairan_locale", "value": "en",
                               "url": live_server.url}])


def test_the_points_pages_in_english_fit_a_phone(live_server, english_data, page,
                                                assert_accessible):
    activity_id, campaign_id, merchant_id = english_data
    visits = (
        (RESIDENT, 1, ("/points/checkin", "/points/campaigns", "/points/pay")),
        (OPERATOR, 2, ("/manage/points/activities", f"/manage/points/activities/{activity_id}",
                       "/manage/points/campaigns", f"/manage/points/campaigns/{campaign_id}",
                       "/manage/points/campaigns/new", "/manage/points/settlement")),
        (SHOP_STAFF, 1, (f"/merchant/{merchant_id}/statement",
                         f"/merchant/{merchant_id}/payments")),
    )
    for email, level, paths in visits:
        sign_in_as(page.context, live_server, email, level=level)
        english(page, live_server)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == "en", path
            assert_accessible(page)
            assert_fits_phone(page)
    # the figures are there (the pages are not empty shells)
    page.goto(live_server.url + f"/merchant/{merchant_id}/statement")
    assert "1,234" in main_text(page)
    sign_in_as(page.context, live_server, RESIDENT)
    english(page, live_server)
    page.goto(live_server.url + "/points/campaigns")
    assert "Autumn community-participation encouragement campaign" in main_text(page)
    assert "Applied: not drawn yet" in main_text(page)
