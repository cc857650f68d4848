"""Merchants' monthly statements (service, printable page, CSV) and the operators'
settlement file for the contractor (CSV, XLSX), on both DBs."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import services
from kairan_points.payments import services as payments
from kairan_points.settlement import services as settlement
from sqlalchemy import func, select, update

from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok

# 2025-01-31 23:59:59 JST and 2025-02-01 00:00:00 JST, in UTC
LAST_SECOND_OF_JANUARY = datetime(2025, 1, 31, 14, 59, 59, tzinfo=UTC)
FIRST_SECOND_OF_FEBRUARY = datetime(2025, 1, 31, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def regional(make_programme):
    return make_programme(code="regional2025", spend_from=date(2024, 12, 1),
                          spend_until=date(2025, 12, 31), expires_on=date(2026, 6, 1))


@pytest.fixture
def community(make_programme):
    return make_programme(code="community2025", name="コミュニティポイント",
                          name_en="Community points", spend_from=date(2024, 12, 1),
                          spend_until=date(2025, 12, 31), expires_on=date(2026, 6, 1))


@pytest.fixture
def staff(make_user):
    return make_user(email="shop-staff@example.jp")


@pytest.fixture
def shop(dbsession, staff, regional, community):
    return make_merchant(dbsession, staff_user=staff,
                         programmes=("regional2025", "community2025"))


@pytest.fixture
def other_staff(make_user):
    return make_user(email="other-staff@example.jp")


@pytest.fixture
def other_shop(dbsession, other_staff, regional):
    return make_merchant(dbsession, staff_user=other_staff, name="=HYPERLINK(\"x\")",
                         branch="別の店 本店")


@pytest.fixture
def resident(make_user, dbsession, regional, community):
    user = make_user(email="payer@example.jp")
    for programme in (regional, community):
        services.grant(dbsession, programme, user.id, 50_000, "welcome", actor_id=None,
                       idempotency_key=key(), now=datetime(2024, 12, 1, tzinfo=UTC))
    dbsession.commit()
    return user


def pay_at(dbsession, registry, app_request, user, merchant, programme, amount, now):
    scan = registry.getUtility(IMerchantDirectory).verify_payload(
        app_request, registry.getUtility(IMerchantDirectory).payload_for(
            app_request, merchant.branches[0].id))
    outcome = payments.pay(dbsession, user_id=user.id, scan=scan, programme=programme,
                           amount=amount, idempotency_key=key() + "-0123456789",
                           max_payment=100_000, now=now)
    dbsession.commit()
    return outcome.payment


def refund_at(dbsession, payment, amount, actor, now):
    record = payments.refund(dbsession, payment=payment, amount=amount, actor_id=actor.id,
                             idempotency_key=key() + "-0123456789", refund_days=60, now=now)
    dbsession.commit()
    return record


@pytest.fixture
def month_end(dbsession, registry, app_request, regional, community, shop, other_shop, staff,
              resident):
    """Payments and refunds on both sides of midnight JST between January and February."""
    january = pay_at(dbsession, registry, app_request, resident, shop, regional, 1_000,
                     datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC))
    pay_at(dbsession, registry, app_request, resident, shop, regional, 300,
           LAST_SECOND_OF_JANUARY)
    pay_at(dbsession, registry, app_request, resident, shop, community, 200,
           datetime(2025, 1, 15, 3, 0, tzinfo=UTC))
    february = pay_at(dbsession, registry, app_request, resident, shop, regional, 700,
                      FIRST_SECOND_OF_FEBRUARY)
    refund_at(dbsession, january, 250, staff, LAST_SECOND_OF_JANUARY)
    # refunded in February: February's statement, though the payment was in January
    refund_at(dbsession, january, 100, staff, FIRST_SECOND_OF_FEBRUARY)
    refund_at(dbsession, february, 700, staff, datetime(2025, 2, 10, tzinfo=UTC))
    pay_at(dbsession, registry, app_request, resident, other_shop, regional, 5_000,
           datetime(2025, 1, 20, tzinfo=UTC))
    # the last instant of December in JST is 2024-12-31 14:59:59 UTC: not January
    pay_at(dbsession, registry, app_request, resident, shop, regional, 40,
           datetime(2024, 12, 31, 14, 59, 59, tzinfo=UTC))
    return january, february


def rows_of(statement):
    return {row.programme_id: row.as_tuple() for row in statement.rows}


def test_periods_are_jst_months():
    january = settlement.parse_period("2025-01")
    assert january.start == datetime(2024, 12, 31, 15, 0, tzinfo=UTC)
    assert january.end == FIRST_SECOND_OF_FEBRUARY
    december = settlement.parse_period("2025-12")
    assert december.end == datetime(2025, 12, 31, 15, 0, tzinfo=UTC)
    for bad in ("2025-13", "2025-00", "2025-1", "25-01", "", None, "2025-01x", "１２３４-01"):
        with pytest.raises(settlement.PeriodRefused):
            settlement.parse_period(bad)


def test_statement_per_programme_from_the_ledger(dbsession, month_end, shop, other_shop,
                                                 regional, community):
    january = settlement.merchant_statement(dbsession, settlement.parse_period("2025-01"),
                                            shop.id)
    # 1,000 (00:00 UTC = 09:00 JST on 1 Jan) + 300 at 23:59:59 JST; one refund of 250
    assert rows_of(january) == {regional.id: (2, 1_300, 1, 250, 1_050),
                                community.id: (1, 200, 0, 0, 200)}
    assert january.totals.as_tuple() == (3, 1_500, 1, 250, 1_250)
    february = settlement.merchant_statement(dbsession, settlement.parse_period("2025-02"),
                                             shop.id)
    assert rows_of(february) == {regional.id: (1, 700, 2, 800, -100)}
    december = settlement.merchant_statement(dbsession, settlement.parse_period("2024-12"),
                                             shop.id)
    assert rows_of(december) == {regional.id: (1, 40, 0, 0, 40)}
    other = settlement.merchant_statement(dbsession, settlement.parse_period("2025-01"),
                                          other_shop.id)
    assert rows_of(other) == {regional.id: (1, 5_000, 0, 0, 5_000)}
    # over every month, the statements add up to the merchant accounts' balances
    dbsession.rollback()
    from kairan_points import ledger

    for programme in (regional, community):
        account = ledger.merchant_account(dbsession, programme.id, shop.id, create=False)
        nets = sum(rows_of(settlement.merchant_statement(
            dbsession, settlement.parse_period(p), shop.id)).get(programme.id, (0,) * 5)[4]
            for p in ("2024-12", "2025-01", "2025-02"))
        assert nets == account.balance
    verify_ok(dbsession)


def test_staff_see_their_statement_page(testapp, dbsession, month_end, shop, staff):
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.get(f"/merchant/{shop.id}/statement", {"period": "2025-01"})
    assert "月次精算明細" in page.text and "2025-01" in page.text
    assert "1,300" in page.text and "1,250" in page.text and "コミュニティポイント" in page.text
    assert f"/merchant/{shop.id}/statement/csv" in page.text
    home = testapp.get(f"/merchant/{shop.id}")
    assert f"/merchant/{shop.id}/statement" in home.text
    assert testapp.get(f"/merchant/{shop.id}/statement").status_int == 200
    for bad in ("2025-13", "x" * 50, "2025-1"):
        page = testapp.get(f"/merchant/{shop.id}/statement", {"period": bad}, status=400)
        assert 'role="alert"' in page.text
    verify_ok(dbsession)


def test_statement_csv_is_bom_utf8_escaped_and_audited(testapp, dbsession, month_end,
                                                       other_shop, other_staff, regional):
    sign_in_directly(testapp, dbsession, other_staff)
    response = testapp.post_form(f"/merchant/{other_shop.id}/statement/csv",
                                 {"period": "2025-01"})
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0][0] == "対象期間"
    assert rows[0][4:] == ["支払い件数", "支払いポイント", "返金件数", "返金ポイント",
                          "差引ポイント"]
    # the shop's name starts with "=": never a formula
    assert rows[1] == ["2025-01", str(other_shop.id), "'=HYPERLINK(\"x\")",
                       "宮城県地域ポイント2025", "1", "5000", "0", "0", "5000"]
    assert len(rows) == 2
    dbsession.rollback()
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.statement.download")).one()
    assert entry.target == f"merchant:{other_shop.id}" and entry.detail["period"] == "2025-01"
    testapp.post_form(f"/merchant/{other_shop.id}/statement/csv", {"period": "2025-99"},
                      status=400)
    # without the CSRF token: refused
    testapp.post(f"/merchant/{other_shop.id}/statement/csv", {"period": "2025-01"},
                 status=400)
    verify_ok(dbsession)


def test_nobody_sees_another_merchants_statement(testapp, dbsession, month_end, shop,
                                                 other_shop, other_staff, resident):
    sign_in_directly(testapp, dbsession, other_staff)
    testapp.get(f"/merchant/{shop.id}/statement", {"period": "2025-01"}, status=403)
    testapp.post_form(f"/merchant/{shop.id}/statement/csv", {"period": "2025-01"}, status=403)
    own = testapp.get(f"/merchant/{other_shop.id}/statement", {"period": "2025-01"})
    assert "1,300" not in own.text and "5,000" in own.text
    sign_in_directly(testapp, dbsession, resident)
    testapp.get(f"/merchant/{shop.id}/statement", status=403)
    testapp.get("/merchant/99999999/statement", status=403)
    testapp.logout()
    response = testapp.get(f"/merchant/{shop.id}/statement", status=(302, 303, 403))
    assert "1,300" not in response.text
    dbsession.rollback()
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.statement.download")).first() is None
    verify_ok(dbsession)


# -- the operators' settlement file ------------------------------------------------------

@pytest.fixture
def operator(make_user):
    return make_user(email="operator@example.jp", roles=("Member", "Operator"))


def test_operators_see_every_merchant_and_programme(testapp, dbsession, month_end, operator,
                                                    shop, other_shop):
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.get("/manage/points/settlement", {"period": "2025-01"})
    assert "加盟店精算" in page.text
    # the shop's regional and community rows and the other shop's row; totals
    assert "1,050" in page.text and "5,000" in page.text and "6,250" in page.text
    assert "コミュニティポイント" in page.text
    page = testapp.get("/manage/points/settlement", {"period": "2025-1"}, status=400)
    assert 'role="alert"' in page.text
    verify_ok(dbsession)


def test_settlement_csv_one_row_per_merchant_and_programme(testapp, dbsession, month_end,
                                                          operator, shop, other_shop,
                                                          regional, community):
    sign_in_directly(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/settlement/download",
                                 {"period": "2025-01", "format": "csv"})
    assert response.body.startswith("\ufeff".encode())
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="settlement-2025-01.csv"'
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert len(rows[0]) == 11
    body = {(r[1], r[4]): r[6:] for r in rows[1:]}
    assert body == {
        (str(shop.id), "regional2025"): ["2", "1300", "1", "250", "1050"],
        (str(shop.id), "community2025"): ["1", "200", "0", "0", "200"],
        (str(other_shop.id), "regional2025"): ["1", "5000", "0", "0", "5000"],
    }
    other = next(r for r in rows[1:] if r[1] == str(other_shop.id))
    assert other[2] == "'=HYPERLINK(\"x\")"  # escaped, never a formula
    dbsession.rollback()
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.settlement.download")).one()
    assert entry.detail == {"period": "2025-01", "format": "csv", "rows": 3}
    verify_ok(dbsession)


def test_settlement_xlsx(testapp, dbsession, month_end, operator, shop, other_shop):
    from openpyxl import load_workbook

    sign_in_directly(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/settlement/download",
                                 {"period": "2025-02", "format": "xlsx"})
    assert response.content_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.body)).active
    values = list(sheet.values)
    assert values[0][0] == "対象期間"
    assert [list(v) for v in values[1:]] == [
        ["2025-02", shop.id, "回覧板マート", "株式会社回覧板マート", "regional2025",
         "宮城県地域ポイント2025", 1, 700, 2, 800, -100]]
    verify_ok(dbsession)


@pytest.mark.parametrize("values", [{"period": "2025-01", "format": "pdf"},
                                    {"period": "2025-13", "format": "csv"},
                                    {"format": "csv"}])
def test_bad_downloads_are_refused(testapp, dbsession, month_end, operator, values):
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.post_form("/manage/points/settlement/download", values, status=400)
    assert 'role="alert"' in page.text
    dbsession.rollback()
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.settlement.download")).first() is None


def test_merchant_staff_and_residents_cannot_reach_it(testapp, dbsession, month_end, staff,
                                                      resident):
    for user in (staff, resident):
        sign_in_directly(testapp, dbsession, user)
        testapp.get("/manage/points/settlement", {"period": "2025-01"}, status=403)
        testapp.post_form("/manage/points/settlement/download",
                          {"period": "2025-01", "format": "csv"}, status=403)
    verify_ok(dbsession)


# -- closing a month and reconciling it -------------------------------------------------

def test_an_operator_closes_an_ended_month_once(testapp, dbsession, month_end, operator, shop,
                                                staff, regional, registry, app_request,
                                                resident):
    from kairan_points.settlement.models import SettlementPeriod, SettlementTotal

    # closing is the protected action points.settle (level 2; test_settlement_stepup.py)
    sign_in_at_level(testapp, dbsession, operator, level=2)
    page = testapp.get("/manage/points/settlement", {"period": "2025-01"})
    assert "締められていません" in page.text and "この月を締める" in page.text
    testapp.post_form("/manage/points/settlement/close", {"period": "2025-01"}, status=303)
    dbsession.rollback()
    closed = dbsession.scalars(select(SettlementPeriod)).one()
    assert (closed.period, closed.closed_by) == ("2025-01", operator.id)
    recorded = {(t.merchant_id, t.programme_id): (t.payments, t.payment_points, t.refunds,
                                                  t.refund_points, t.net)
                for t in dbsession.scalars(select(SettlementTotal))}
    assert recorded[(shop.id, regional.id)] == (2, 1_300, 1, 250, 1_050)
    assert len(recorded) == 3
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.settlement.close")).one()
    assert entry.outcome == "success" and entry.detail["net"] == 6_250
    page = testapp.get("/manage/points/settlement", {"period": "2025-01"})
    assert "一致しています" in page.text and "この月を締める" not in page.text
    # a second close is refused and changes nothing
    page = testapp.post_form("/manage/points/settlement/close", {"period": "2025-01"},
                             status=409)
    assert "すでに締められています" in page.text
    # a month that has not ended cannot be closed; nor can nonsense
    testapp.post_form("/manage/points/settlement/close", {"period": "2099-01"}, status=400)
    testapp.post_form("/manage/points/settlement/close", {"period": "x"}, status=400)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(SettlementPeriod)) == 1
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "points.settlement.close", AuditEntry.outcome == "refused")) == 3
    # staff cannot close, even after a step-up
    sign_in_at_level(testapp, dbsession, staff, level=2)
    testapp.post_form("/manage/points/settlement/close", {"period": "2025-02"}, status=403)
    verify_ok(dbsession)


def test_a_closed_month_is_served_from_its_recorded_totals(testapp, dbsession, month_end,
                                                           operator, shop, staff, regional,
                                                           registry, app_request, resident):
    from kairan_points.settlement.models import SettlementTotal

    january = settlement.parse_period("2025-01")
    settlement.close_period(dbsession, january, operator.id, datetime(2025, 2, 1, tzinfo=UTC))
    dbsession.commit()
    assert settlement.reconcile(dbsession, january).ok
    # a (back-dated) payment lands in January after the close: the ledger moves, the
    # statement does not, and the reconciliation says so
    pay_at(dbsession, registry, app_request, resident, shop, regional, 9,
           datetime(2025, 1, 20, tzinfo=UTC))
    statement = settlement.merchant_statement(dbsession, january, shop.id)
    assert rows_of(statement)[regional.id] == (2, 1_300, 1, 250, 1_050)
    report = settlement.reconcile(dbsession, january)
    assert not report.ok and any("payment_points recorded 1300, ledger 1309" in p
                                 for p in report.problems)
    sign_in_directly(testapp, dbsession, staff)
    assert "1,050" in testapp.get(f"/merchant/{shop.id}/statement", {"period": "2025-01"}).text
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.get("/manage/points/settlement", {"period": "2025-01"})
    assert "一致しません" in page.text and 'role="alert"' in page.text
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(SettlementTotal)) == 3
    verify_ok(dbsession)


def test_the_settle_command_closes_and_reconciles(kairan, dbsession, month_end, shop,
                                                  regional):
    from kairan_points.settlement.models import SettlementTotal

    output = kairan("points", "settle", "--period", "2025-01")
    assert "net 6250" in output and "is open" in output
    output = kairan("points", "settle", "--period", "2025-01", "--close")
    assert "closed 2025-01: 3 rows" in output and "agree with the ledger" in output
    assert "REFUSED" in kairan("points", "settle", "--period", "2025-01", "--close", expect=1)
    kairan("points", "settle", "--period", "2099-12", "--close", expect=1)
    kairan("points", "settle", "--period", "2025/01", expect=2)
    dbsession.rollback()
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.settlement.close")).one()
    assert entry.actor_id is None and entry.detail["via"] == "cli"
    # corrupt a recorded total: the reconciliation fails with exit status 1
    dbsession.execute(update(SettlementTotal)
                      .where(SettlementTotal.merchant_id == shop.id,
                             SettlementTotal.programme_id == regional.id)
                      .values(net=SettlementTotal.net + 1))
    dbsession.commit()
    output = kairan("points", "settle", "--period", "2025-01", expect=1)
    assert "MISMATCH" in output and "net recorded 1051, ledger 1050" in output
    verify_ok(dbsession)
