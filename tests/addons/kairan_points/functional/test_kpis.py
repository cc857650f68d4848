"""The points KPIs over known data on both sides of JST month ends, on both DBs: issued,
spent, expired, refunded, active wallets, payments per merchant category; and without the
merchants add-on, no category figures and no failure."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import expiry, services
from kairan_points.kpis import CATEGORY_TITLES, KPIS
from kairan_points.payments import services as payments
from pyramid.registry import Registry

from kairan.kpi.services import registered_kpis
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, verify_ok

# the last second of January and the first of February, JST, in UTC
END_OF_JANUARY = datetime(2025, 1, 31, 14, 59, 59, tzinfo=UTC)
START_OF_FEBRUARY = datetime(2025, 1, 31, 15, 0, 0, tzinfo=UTC)
# 00:00 JST on 1 March, when the programme's points expire
START_OF_MARCH = datetime(2025, 2, 28, 15, 0, 0, tzinfo=UTC)


def kpi(name):
    return next(k for k in KPIS if k.name == name)()


@pytest.fixture
def known(dbsession, registry, app_request, make_programme, make_user):
    """Grants, payments at a supermarket and a café, refunds and the expiry, over four
    JST months (figures in the tests below)."""
    programme = make_programme(code="regional2025", spend_from=date(2024, 12, 1),
                               spend_until=date(2025, 2, 28), expires_on=date(2025, 3, 1),
                               categories=[])
    mart = make_merchant(dbsession, name="回覧板マート", category="supermarket")
    cafe = make_merchant(dbsession, name="喫茶かいらん", branch="喫茶かいらん 本店",
                         category="restaurant")
    a, b, c = make_user(), make_user(), make_user()
    for user, points, at in ((a, 10_000, datetime(2024, 12, 1, tzinfo=UTC)),
                             (b, 5_000, END_OF_JANUARY), (c, 1_000, START_OF_FEBRUARY)):
        services.grant(dbsession, programme, user.id, points, "welcome", actor_id=None,
                       idempotency_key=key(), now=at)
    dbsession.commit()
    directory = registry.getUtility(IMerchantDirectory)

    def pay(user, merchant, amount, now):
        scan = directory.verify_payload(app_request, directory.payload_for(
            app_request, merchant.branches[0].id))
        outcome = payments.pay(dbsession, user_id=user.id, scan=scan, programme=programme,
                               amount=amount, idempotency_key=key() + "-0123456789",
                               max_payment=100_000, now=now)
        dbsession.commit()
        return outcome.payment

    def refund(payment, amount, now):
        payments.refund(dbsession, payment=payment, amount=amount, actor_id=None,
                        idempotency_key=key() + "-0123456789", refund_days=60, now=now)
        dbsession.commit()

    first = pay(a, mart, 1_000, datetime(2025, 1, 10, tzinfo=UTC))
    coffee = pay(a, cafe, 400, END_OF_JANUARY)
    pay(b, mart, 700, START_OF_FEBRUARY)
    pay(a, mart, 300, datetime(2025, 2, 5, tzinfo=UTC))
    refund(first, 250, datetime(2025, 1, 20, tzinfo=UTC))
    refund(first, 100, datetime(2025, 2, 1, tzinfo=UTC))
    refund(coffee, 400, datetime(2025, 2, 10, tzinfo=UTC))
    for account_id in expiry.accounts_with_expired_lots(dbsession, START_OF_MARCH):
        expiry.expire_account(dbsession, account_id, START_OF_MARCH)
    dbsession.commit()
    return SimpleNamespace(programme=programme, mart=mart, cafe=cafe, users=(a, b, c))


def figures(request, name, start="2024-11", end="2025-04"):
    return kpi(name).monthly(request, start, end)


def test_issued_spent_expired_refunded_per_jst_month(dbsession, known, app_request):
    assert figures(app_request, "points.issued") == {
        "2024-12": 10_000, "2025-01": 5_000, "2025-02": 1_000}
    assert figures(app_request, "points.spent") == {"2025-01": 1_400, "2025-02": 1_000}
    assert figures(app_request, "points.refunded") == {"2025-01": 250, "2025-02": 500}
    # a: 10,000 - 1,700 paid + 750 refunded; b: 5,000 - 700; c: 1,000
    assert figures(app_request, "points.expired") == {"2025-03": 9_050 + 4_300 + 1_000}
    # the range is applied: one month asked, one month answered
    assert figures(app_request, "points.spent", "2025-02", "2025-02") == {"2025-02": 1_000}
    assert figures(app_request, "points.issued", "2025-03", "2025-04") == {}
    verify_ok(dbsession)


def test_active_wallets_count_every_movement_but_expiry(dbsession, known, app_request):
    # December: a's grant. January: a paid and was refunded, b's grant came at the last
    # second. February: c's grant, b's and a's payments. March: only the expiry.
    assert figures(app_request, "points.wallets.active") == {
        "2024-12": 1, "2025-01": 2, "2025-02": 3}
    verify_ok(dbsession)


def test_payments_per_merchant_category(dbsession, known, app_request):
    assert figures(app_request, "points.payments.category.supermarket") == {
        "2025-01": 1, "2025-02": 2}
    assert figures(app_request, "points.payments.category.restaurant") == {"2025-01": 1}
    assert figures(app_request, "points.payments.category.drugstore") == {}
    assert figures(app_request, "points.payments.category.supermarket",
                   "2025-02", "2025-03") == {"2025-02": 2}
    verify_ok(dbsession)


def test_the_kpi_page_and_csv_show_the_new_figures(testapp, dbsession, known, make_user):
    from kairan.testing import sign_in_directly

    operator = make_user(roles=("Member", "Operator"))
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.get("/manage/kpi", {"start": "2025-01", "end": "2025-03"})
    for title in ("失効ポイント数", "加盟店による返金ポイント数",
                  "スーパーマーケットでの支払い件数", "利用のあったウォレット数"):
        assert title in page.text
    csv = testapp.get("/manage/kpi/points.expired.csv",
                      {"start": "2025-01", "end": "2025-03"}).body.decode("utf-8-sig")
    assert "2025-03,14350" in csv and "2025-02,0" in csv
    verify_ok(dbsession)


def test_category_codes_are_the_directorys(registry, app_request):
    directory = registry.getUtility(IMerchantDirectory)
    assert {code for code, _title in directory.categories(app_request)} == set(CATEGORY_TITLES)
    assert {f"points.payments.category.{code}" for code in CATEGORY_TITLES} <= set(
        registered_kpis(registry))


def test_without_the_merchants_add_on_nothing_breaks(dbsession, known):
    """A registry without ``IMerchantDirectory`` (the merchants add-on disabled): the
    category KPIs answer no data, the others their figures."""
    from kairan.config import configure

    config = configure({"sqlalchemy.url": "sqlite://", "kairan.env": "testing",
                        "kairan.addons": "kairan_points"}, environ={})
    try:
        points_only = config.registry
        assert points_only.queryUtility(IMerchantDirectory) is None
        providers = {name: p for name, p in registered_kpis(points_only).items()
                     if name.startswith("points.")}
        assert {"points.expired", "points.refunded", "points.wallets.active",
                "points.payments.category.supermarket"} <= set(providers)
        for registry in (points_only, Registry("empty")):
            request = SimpleNamespace(dbsession=dbsession, registry=registry)
            for name, provider in providers.items():
                found = provider.monthly(request, "2024-11", "2025-04")
                if name.startswith("points.payments.category."):
                    assert found == {}
            assert figures(request, "points.spent") == {"2025-01": 1_400, "2025-02": 1_000}
    finally:
        config.registry["db_engine"].dispose()
    verify_ok(dbsession)
