""""Download my data": the points section holds the resident's payments at shops (shop,
amount, receipt code, refunds) and campaign applications (campaign, status, dates), and
nobody else's; on both DBs."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import services
from kairan_points.campaigns import services as campaigns
from kairan_points.payments import services as payments
from kairan_points.providers import PointsData

from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, verify_ok


@pytest.fixture
def regional(make_programme):
    return make_programme(code="regional2025", spend_from=date(2024, 12, 1),
                          spend_until=date(2030, 12, 31), expires_on=date(2031, 1, 1),
                          categories=[])


@pytest.fixture
def story(dbsession, registry, app_request, regional, make_user):
    """Two residents who both paid at a shop and applied to a campaign; the first was
    refunded part of a payment and won the draw."""
    shop = make_merchant(dbsession, name="回覧板マート", branch="回覧板マート 駅前店")
    mine, theirs = make_user(email="mine@example.jp"), make_user(email="theirs@example.jp")
    directory = registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(app_request, directory.payload_for(
        app_request, shop.branches[0].id))
    paid = {}
    for user, amount in ((mine, 1_200), (theirs, 3_300)):
        services.grant(dbsession, regional, user.id, 10_000, "welcome", actor_id=None,
                       idempotency_key=key())
        paid[user.id] = payments.pay(dbsession, user_id=user.id, scan=scan, programme=regional,
                                     amount=amount, idempotency_key=key() + "-0123456789",
                                     max_payment=100_000).payment
    dbsession.commit()
    payments.refund(dbsession, payment=paid[mine.id], amount=200, actor_id=None,
                    idempotency_key=key() + "-0123456789", refund_days=30)
    now = utcnow()
    campaign = campaigns.create_campaign(dbsession, {
        "code": "spring-2025", "title": "春の抽選", "title_en": "Spring lottery",
        "programme_id": regional.id, "points": 1_000, "capacity": 1,
        "opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=1),
        "min_level": 1, "excluded_campaign_id": None, "accept_days": 7})
    for user, level in ((mine, 2), (theirs, 1)):
        campaigns.apply(dbsession, campaign, user.id, level)
    dbsession.commit()
    return mine, theirs, paid, campaign


def test_the_export_holds_my_payments_refunds_and_applications(dbsession, app_request,
                                                                story):
    mine, theirs, paid, campaign = story
    data = PointsData().export(app_request, mine)
    [payment] = data["payments"]
    assert payment["shop"] == "回覧板マート" and payment["branch"] == "回覧板マート 駅前店"
    assert payment["programme"] == "regional2025"
    assert (payment["amount"], payment["refunded"]) == (1_200, 200)
    assert payment["receipt_code"] == paid[mine.id].receipt_code
    assert [r["amount"] for r in payment["refunds"]] == [200]
    assert datetime.fromisoformat(payment["refunds"][0]["at"]).tzinfo is not None
    [application] = data["campaign_applications"]
    assert (application["campaign"], application["title"], application["status"],
            application["identity_level"]) == ("spring-2025", "春の抽選", "applied", 2)
    assert datetime.fromisoformat(application["applied_at"]) <= utcnow()
    assert application["accept_by"] is None
    # the wallet's own history is still there: grant, payment, refund
    assert sorted(t["reason_code"] for t in data["wallets"][0]["transfers"]) == [
        "grant", "payment", "refund"]
    # nothing of the other resident's
    text = json.dumps(data, ensure_ascii=False)
    assert paid[theirs.id].receipt_code not in text
    assert all(t["amount"] != -3_300 for t in data["wallets"][0]["transfers"])
    theirs_data = PointsData().export(app_request, theirs)
    assert [p["amount"] for p in theirs_data["payments"]] == [3_300]
    assert theirs_data["payments"][0]["refunds"] == []
    assert paid[mine.id].receipt_code not in json.dumps(theirs_data)
    verify_ok(dbsession)


def test_a_won_application_shows_its_dates(dbsession, app_request, story):
    mine, theirs, paid, campaign = story
    seed = "a seed nobody guesses 0123456789"
    campaigns.commit_seed(dbsession, campaign, campaigns.seed_hash(seed))
    winners = campaigns.draw(dbsession, campaign, seed,
                             now=campaign.closes_at + timedelta(minutes=1))
    dbsession.commit()
    winner = winners[0].user_id
    user = mine if winner == mine.id else theirs
    [application] = PointsData().export(app_request, user)["campaign_applications"]
    assert application["status"] == "won" and application["rank"] == 1
    assert datetime.fromisoformat(application["accept_by"]) > campaign.closes_at.astimezone(UTC)
    assert application["offered_at"] is not None
    verify_ok(dbsession)


def test_the_download_through_the_account_page(testapp, dbsession, story):
    mine, theirs, paid, campaign = story
    sign_in_directly(testapp, dbsession, mine)
    document = testapp.post_form("/account/my-data.json", {}).json
    points = document["points"]
    assert [p["receipt_code"] for p in points["payments"]] == [paid[mine.id].receipt_code]
    assert [a["campaign"] for a in points["campaign_applications"]] == ["spring-2025"]
    assert paid[theirs.id].receipt_code not in json.dumps(document)
    verify_ok(dbsession)
