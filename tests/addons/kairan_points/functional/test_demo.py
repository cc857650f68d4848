"""The demo city's points: two programmes, points in the demo resident's wallet, two
community activities and an open campaign, once however often the demo is loaded."""

from datetime import date

from kairan_points.models import Account, Programme
from sqlalchemy import func, select

from kairan.accounts.models import User
from kairan.demo.services import load_demo, run_demo_loaders
from tests.addons.kairan_points.conftest import verify_ok


def resident_balance(dbsession):
    resident = dbsession.scalar(select(User).where(User.email == "resident@example.jp"))
    return dbsession.scalar(select(func.coalesce(func.sum(Account.balance), 0)).where(
        Account.user_id == resident.id, Account.kind == "wallet"))


def test_the_demo_has_programmes_and_a_resident_with_points(dbsession, registry):
    load_demo(dbsession, registry.settings, today=date(2025, 1, 20))
    dbsession.flush()
    lines = run_demo_loaders(dbsession, registry, today=date(2025, 1, 20))
    dbsession.commit()
    assert any(line.startswith("points: 県地域ポイント2025") for line in lines)
    codes = set(dbsession.scalars(select(Programme.code)))
    assert codes == {"regional2025", "community"}
    assert resident_balance(dbsession) == 3500
    # a second run grants nothing more and prints nothing for the points
    again = run_demo_loaders(dbsession, registry, today=date(2025, 1, 20))
    dbsession.commit()
    assert not [line for line in again if line.startswith("points:")]
    assert resident_balance(dbsession) == 3500
    verify_ok(dbsession)


def test_the_demo_has_activities_and_an_open_campaign_once(testapp, dbsession, registry):
    from kairan_points.campaigns.models import Campaign
    from kairan_points.earning.models import Activity
    from kairan_points.services import tokyo_date

    from kairan.db.meta import utcnow

    today = tokyo_date(utcnow())
    load_demo(dbsession, registry.settings, today=today)
    dbsession.flush()
    lines = run_demo_loaders(dbsession, registry, today=today)
    dbsession.commit()
    assert sum(line.startswith("points: community activity") for line in lines) == 2
    assert any(line.startswith("points: campaign") for line in lines)
    operator = dbsession.scalar(select(User).where(User.email == "operator@example.jp"))
    community = dbsession.scalar(select(Programme).where(Programme.code == "community"))
    activities = dbsession.scalars(select(Activity).order_by(Activity.starts_at)).all()
    assert [a.title for a in activities] == ["回覧板市 市民一斉清掃", "地域防災訓練"]
    assert {(a.created_by, a.programme_id) for a in activities} == {(operator.id, community.id)}
    assert all(a.title_en for a in activities)
    [campaign] = dbsession.scalars(select(Campaign)).all()
    assert campaign.title == "春の地域ポイント上乗せキャンペーン" and not campaign.seed_hash
    assert campaign.opens_at <= utcnow() < campaign.closes_at
    # a second run adds nothing and prints nothing for the points
    again = run_demo_loaders(dbsession, registry, today=today)
    dbsession.commit()
    assert not [line for line in again if line.startswith("points:")]
    assert dbsession.scalar(select(func.count()).select_from(Activity)) == 2
    assert dbsession.scalar(select(func.count()).select_from(Campaign)) == 1
    # the resident sees the campaign open, the operator the activities, today's open now
    from kairan.testing import sign_in_directly

    resident = dbsession.scalar(select(User).where(User.email == "resident@example.jp"))
    sign_in_directly(testapp, dbsession, resident)
    assert "春の地域ポイント上乗せキャンペーン" in testapp.get("/points/campaigns").text
    sign_in_directly(testapp, dbsession, operator)
    listing = testapp.get("/manage/points/activities").text
    assert "回覧板市 市民一斉清掃" in listing and "地域防災訓練" in listing
    verify_ok(dbsession)
