"""Operators' campaign pages: creating, committing a seed, the draw behind a level-2
step-up, refusals with messages and nothing changed, residents kept out."""

from datetime import date, timedelta

import pytest
from kairan_points.campaigns import services
from kairan_points.campaigns.models import WAITING, WON, Application, Campaign
from sqlalchemy import select

from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_points.conftest import sign_in_at_level, verify_ok

SEED = "the-operators-seed-for-the-spring-draw"


@pytest.fixture
def operator(make_user):
    return make_user(email="operator@example.jp", roles=("Member", "Operator"))


def test_an_operator_creates_a_campaign_and_bad_input_changes_nothing(
        testapp, dbsession, operator, programme):
    sign_in_directly(testapp, dbsession, operator)
    today = date.today()
    form = {"code": "spring-2025", "title": "春の抽選", "title_en": "Spring lottery",
            "programme": str(programme.id), "points": "3000", "capacity": "2",
            "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=3)).isoformat(),
            "min_level": "2", "excluded": "", "accept_days": "5"}
    bad = testapp.post_form("/manage/points/campaigns/new",
                            {**form, "closes_on": (today - timedelta(days=1)).isoformat(),
                             "points": "-5"}, status=400)
    assert 'role="alert"' in bad.text or "error" in bad.text
    missing = testapp.post_form("/manage/points/campaigns/new",
                                {**form, "excluded": "no-such-campaign"}, status=400)
    assert "以前のキャンペーンは存在しません" in missing.text
    assert dbsession.scalars(select(Campaign)).all() == []
    response = testapp.post_form("/manage/points/campaigns/new", form, status=303)
    dbsession.expire_all()
    campaign = dbsession.scalars(select(Campaign)).one()
    assert response.headers["Location"].endswith(f"/manage/points/campaigns/{campaign.id}")
    assert (campaign.points, campaign.capacity, campaign.min_level, campaign.accept_days) == (
        3000, 2, 2, 5)
    assert campaign.closes_at - campaign.opens_at == timedelta(days=4)
    listing = testapp.get("/manage/points/campaigns")
    assert "春の抽選" in listing.text and "シード値未確定" in listing.text


def test_the_draw_needs_a_step_up_and_the_committed_seed(testapp, dbsession, operator,
                                                          programme, make_user):
    now = utcnow()
    campaign = services.create_campaign(dbsession, {
        "code": "c1", "title": "春の抽選", "title_en": "", "programme_id": programme.id,
        "points": 500, "capacity": 1, "opens_at": now - timedelta(days=2),
        "closes_at": now - timedelta(days=1), "min_level": 1, "excluded_campaign_id": None,
        "accept_days": 7})
    for user in (make_user(), make_user(), make_user()):
        dbsession.add(Application(campaign_id=campaign.id, user_id=user.id, level=1,
                                  applied_at=now - timedelta(days=1, hours=1)))
    dbsession.commit()
    url = f"/manage/points/campaigns/{campaign.id}"
    sign_in_directly(testapp, dbsession, operator)
    refused = testapp.post_form(url + "/seed", {"seed_hash": "not-a-hash"}, status=409)
    assert "16進数64桁" in refused.text
    testapp.post_form(url + "/seed", {"seed_hash": services.seed_hash(SEED)}, status=303)
    response = testapp.post_form(url + "/draw", {"seed": SEED}, status=303)
    assert "/stepup" in response.headers["Location"]
    dbsession.expire_all()
    assert dbsession.get(Campaign, campaign.id).drawn_at is None

    sign_in_at_level(testapp, dbsession, operator, level=2)
    wrong = testapp.post_form(url + "/draw", {"seed": SEED + "-changed"}, status=409)
    assert "確定済みのSHA-256と一致しません" in wrong.text
    dbsession.expire_all()
    assert dbsession.get(Campaign, campaign.id).drawn_at is None
    testapp.post_form(url + "/draw", {"seed": SEED}, status=303)
    dbsession.expire_all()
    statuses = sorted(a.status for a in dbsession.scalars(select(Application)))
    assert statuses == [WAITING, WAITING, WON]
    page = testapp.get(url)
    assert "保存された順位と一致します" in page.text and SEED in page.text
    again = testapp.post_form(url + "/draw", {"seed": SEED}, status=(400, 409))
    assert "抽選済み" in again.text
    verify_ok(dbsession)


def test_residents_cannot_reach_the_operator_pages(testapp, dbsession, make_user, programme):
    sign_in_at_level(testapp, dbsession, make_user(), level=2)
    testapp.get("/manage/points/campaigns", status=403)
    testapp.get("/manage/points/campaigns/new", status=403)
    testapp.post_form("/manage/points/campaigns/1/draw", {"seed": SEED}, status=403)


def form_with(page, field):
    """The page's form that has ``field`` (the header has a sign-out form too)."""
    return next(form for form in page.forms.values() if field in form.fields)


def test_the_rendered_campaign_form_carries_its_csrf_token(testapp, dbsession, operator,
                                                           programme):
    """Submitted as a browser would, with only the fields the page rendered."""
    sign_in_directly(testapp, dbsession, operator)
    form = form_with(testapp.get("/manage/points/campaigns/new"), "code")
    assert form["csrf_token"].value == testapp.csrf_token()
    today = date.today()
    for name, value in {"code": "rendered-2025", "title": "春の抽選",
                        "programme": str(programme.id), "points": "3000", "capacity": "2",
                        "opens_on": today.isoformat(),
                        "closes_on": (today + timedelta(days=3)).isoformat(),
                        "min_level": "1", "accept_days": "5"}.items():
        form[name] = value
    form.submit(status=303)
    dbsession.expire_all()
    assert dbsession.scalars(select(Campaign.code)).all() == ["rendered-2025"]
    verify_ok(dbsession)
