"""Paying at a shop with the static QR code, the shop's page, refunds (WebTest, both DBs)."""

import re
import threading
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import ledger, services
from kairan_points.models import Account, Line, Lot, Transfer
from kairan_points.payments import services as payments
from kairan_points.payments.models import Payment
from sqlalchemy import func, select, update

from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok

KEY_RE = re.compile(r'name="idempotency_key"\s+value="([^"]+)"')
RECEIPT_RE = re.compile(r'class="points-receipt__code">([A-Z0-9]{6})<')


@pytest.fixture
def regional(make_programme):
    return make_programme(code="regional2025")


@pytest.fixture
def staff(make_user):
    return make_user(email="shop-staff@example.jp")


@pytest.fixture
def shop(dbsession, staff):
    return make_merchant(dbsession, staff_user=staff)


@pytest.fixture
def resident(make_user, dbsession, regional):
    user = make_user(email="payer@example.jp")
    give(dbsession, regional, user, 10_000)
    return user


def give(dbsession, programme, user, amount):
    record = services.grant(dbsession, programme, user.id, amount, "welcome", actor_id=None,
                            idempotency_key=key())
    dbsession.commit()
    return record


def payload(registry, app_request, merchant):
    return registry.getUtility(IMerchantDirectory).payload_for(app_request,
                                                               merchant.branches[0].id)


def confirm_page(testapp, code, programme, amount, status=200):
    return testapp.get("/points/pay/confirm", {"code": code, "programme": str(programme.id),
                                               "amount": str(amount)}, status=status)


def pay(testapp, code, programme, amount, status=303, idempotency_key=None):
    params = {"code": code, "programme": str(programme.id), "amount": str(amount),
              "idempotency_key": idempotency_key or key() + "-0123456789"}
    return testapp.post_form("/points/pay/confirm", params, status=status)


def wallet_balance(dbsession, programme, user):
    dbsession.rollback()
    return ledger.wallet_account(dbsession, programme.id, user.id, create=False).balance


def till_balance(dbsession, programme, merchant):
    dbsession.rollback()
    account = ledger.merchant_account(dbsession, programme.id, merchant.id, create=False)
    return account.balance if account is not None else 0


def payment_count(dbsession):
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(Payment))


def test_a_resident_pays_by_typing_the_code_and_the_shop_sees_it(
        testapp, dbsession, registry, app_request, regional, shop, staff, resident):
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/points/pay")
    assert 'name="code"' in page.text and "scan.js" in page.text
    page = testapp.get("/points/pay", {"code": code})
    assert "回覧板マート" in page.text and "10,000" in page.text
    page = confirm_page(testapp, code, regional, 1200)
    assert KEY_RE.search(page.text) and "1,200" in page.text
    response = testapp.post_form("/points/pay/confirm", {
        "code": code, "programme": str(regional.id), "amount": "1200",
        "idempotency_key": KEY_RE.search(page.text).group(1)}, status=303)
    assert response.body == b""  # the redirect's HTML body is never shown: not written
    receipt_page = response.follow()
    receipt = RECEIPT_RE.search(receipt_page.text).group(1)
    assert not set(receipt) & set("0O1IL")
    assert wallet_balance(dbsession, regional, resident) == 8_800
    assert till_balance(dbsession, regional, shop) == 1_200
    payment = dbsession.scalars(select(Payment)).one()
    assert (payment.receipt_code, payment.amount, payment.merchant_id) == (receipt, 1200, shop.id)
    assert dbsession.get(ledger.Transfer, payment.transfer_id).reason_code == "payment"
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "points.payment")
                              ).one()
    assert (entry.outcome, entry.target) == ("success", f"points-payment:{payment.id}")

    sign_in_directly(testapp, dbsession, staff)
    page = testapp.get(f"/merchant/{shop.id}/payments")
    assert receipt in page.text and "1,200" in page.text
    assert "staff.js" in page.text
    state = testapp.get(f"/merchant/{shop.id}/payments/latest").json["state"]
    home = testapp.get(f"/merchant/{shop.id}")
    assert f"/merchant/{shop.id}/payments" in home.text
    # the page's script sees the next payment arrive (the state it polls changes)
    sign_in_directly(testapp, dbsession, resident)
    pay(testapp, code, regional, 100)
    sign_in_directly(testapp, dbsession, staff)
    latest = testapp.get(f"/merchant/{shop.id}/payments/latest").json
    assert latest["state"] != state and latest["count"] == 2
    sign_in_directly(testapp, dbsession, resident)
    testapp.get(f"/merchant/{shop.id}/payments/latest", status=403)
    verify_ok(dbsession)


def test_the_same_key_gives_the_first_payment(testapp, dbsession, registry, app_request, regional,
                                              shop, resident):
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    same = key() + "-double-click"
    first = pay(testapp, code, regional, 500, idempotency_key=same)
    second = pay(testapp, code, regional, 500, idempotency_key=same)
    assert first.location == second.location
    assert RECEIPT_RE.search(first.follow().text).group(1) == \
        RECEIPT_RE.search(second.follow().text).group(1)
    assert payment_count(dbsession) == 1
    assert wallet_balance(dbsession, regional, resident) == 9_500
    # the same key with another amount is refused, nothing changes
    pay(testapp, code, regional, 600, idempotency_key=same, status=409)
    assert payment_count(dbsession) == 1
    assert wallet_balance(dbsession, regional, resident) == 9_500
    verify_ok(dbsession)


def _suspend(dbsession, merchant):
    from kairan_merchants.models import Merchant

    dbsession.execute(update(Merchant).where(Merchant.id == merchant.id)
                      .values(status="suspended", status_reason="test"))
    dbsession.commit()


REFUSALS = {
    "unknown": "not a shop's code",
    "suspended": "cannot take payments",
    "not_in_programme": "does not take the points of this programme",
    "category": "cannot be spent at this kind of shop",
    "period": "can be spent from",
    "insufficient": "not enough points",
    "expired": "have expired",
    "over_limit": "at most",
    "zero": "greater than zero",
    "text": "greater than zero",
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_change_nothing(case, testapp, dbsession, registry, app_request, make_programme,
                                 regional, shop, resident, make_user):
    testapp.set_cookie("kairan_locale", "en")
    code = payload(registry, app_request, shop)
    programme, amount = regional, 100
    if case == "unknown":
        code = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    elif case == "suspended":
        _suspend(dbsession, shop)
    elif case == "not_in_programme":
        programme = make_programme(code="other2025")
        give(dbsession, programme, resident, 1000)
    elif case == "category":
        programme = make_programme(code="regional2025-b", categories=["drugstore"])
        shop_b = make_merchant(dbsession, name="薬局", branch="薬局 本店",
                               programmes=("regional2025-b",), category="supermarket")
        give(dbsession, programme, resident, 1000)
        code = payload(registry, app_request, shop_b)
    elif case == "period":
        programme = make_programme(code="past2024", spend_from=date(2024, 1, 1),
                                   spend_until=date.today() - timedelta(days=1))
        shop_c = make_merchant(dbsession, name="過去", branch="過去 本店",
                               programmes=("past2024",))
        give(dbsession, programme, resident, 1000)
        code = payload(registry, app_request, shop_c)
    elif case == "insufficient":
        amount = 10_001
    elif case == "expired":
        dbsession.execute(update(Lot).values(expires_at=utcnow() - timedelta(seconds=1))
                          .where(Lot.account_id.in_(select(Account.id).where(
                              Account.user_id == resident.id))))
        dbsession.commit()
    elif case == "over_limit":
        amount = registry.settings["kairan.points.max_payment"] + 1
        give(dbsession, regional, resident, amount)
    elif case == "zero":
        amount = 0
    elif case == "text":
        amount = "12.5"
    before = wallet_balance(dbsession, programme, resident)
    sign_in_at_level(testapp, dbsession, resident, level=2)
    page = pay(testapp, code, programme, amount, status=400)
    assert REFUSALS[case] in page.text
    assert 'role="alert"' in page.text
    confirm_page(testapp, code, programme, amount, status=400)
    assert payment_count(dbsession) == 0
    assert dbsession.scalars(select(AuditEntry.outcome).where(
        AuditEntry.action == "points.payment")).all() == ["refused"]
    assert wallet_balance(dbsession, programme, resident) == before
    verify_ok(dbsession)


def test_a_step_up_is_needed_above_the_threshold(testapp, dbsession, registry, app_request,
                                                 regional, shop, resident):
    code = payload(registry, app_request, shop)
    threshold = registry.settings["kairan.points.pay_stepup_above"]
    sign_in_directly(testapp, dbsession, resident)
    confirm_page(testapp, code, regional, threshold)  # at the threshold: no step-up
    page = confirm_page(testapp, code, regional, threshold + 1, status=303)
    assert "/stepup" in page.location and "points.pay" in page.location
    response = pay(testapp, code, regional, threshold + 1, status=303)
    assert "/stepup" in response.location
    # after the step-up, the resident comes back to the same payment to confirm
    came_from = parse_qs(urlsplit(response.location).query)["came_from"][0]
    assert came_from.startswith("/points/pay/confirm?")
    assert parse_qs(urlsplit(came_from).query)["amount"] == [str(threshold + 1)]
    assert payment_count(dbsession) == 0
    pay(testapp, code, regional, threshold)
    assert payment_count(dbsession) == 1
    sign_in_at_level(testapp, dbsession, resident, level=2)
    assert KEY_RE.search(confirm_page(testapp, code, regional, threshold + 1).text)
    pay(testapp, code, regional, threshold + 1)
    assert payment_count(dbsession) == 2
    assert wallet_balance(dbsession, regional, resident) == 10_000 - 2 * threshold - 1
    verify_ok(dbsession)


def test_nobody_sees_anothers_payment_or_shop(testapp, dbsession, registry, app_request, regional,
                                              shop, staff, resident, make_user):
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    receipt_url = pay(testapp, code, regional, 700).location
    payment = dbsession.scalars(select(Payment)).one()
    stranger = make_user(email="stranger@example.jp")
    sign_in_directly(testapp, dbsession, stranger)
    testapp.get(receipt_url, status=404)
    testapp.get(f"/merchant/{shop.id}/payments", status=403)
    other_staff = make_user(email="other-shop@example.jp")
    other = make_merchant(dbsession, staff_user=other_staff, name="別の店", branch="別の店 本店")
    sign_in_directly(testapp, dbsession, other_staff)
    testapp.get(receipt_url, status=404)
    testapp.get(f"/merchant/{shop.id}/payments", status=403)
    assert payment.receipt_code not in testapp.get(f"/merchant/{other.id}/payments").text
    testapp.post_form(f"/merchant/{shop.id}/payments/{payment.id}/refund",
                      {"amount": "700", "idempotency_key": key() + "-0123456789"},
                      status=403)
    testapp.post_form(f"/merchant/{other.id}/payments/{payment.id}/refund",
                      {"amount": "700", "idempotency_key": key() + "-0123456789"},
                      status=404)
    # the resident is not the shop's staff either
    sign_in_directly(testapp, dbsession, resident)
    testapp.get(f"/merchant/{shop.id}/payments", status=403)
    testapp.get(f"/merchant/{99999999}/payments", status=403)
    assert wallet_balance(dbsession, regional, resident) == 9_300
    dbsession.rollback()
    assert dbsession.scalar(select(Payment.refunded).where(Payment.id == payment.id)) == 0
    verify_ok(dbsession)


def test_staff_refund_in_part_and_never_past_the_payment(
        testapp, dbsession, registry, app_request, regional, shop, staff, resident):
    testapp.set_cookie("kairan_locale", "en")
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    pay(testapp, code, regional, 1000)
    payment = dbsession.scalars(select(Payment)).one()
    url = f"/merchant/{shop.id}/payments/{payment.id}/refund"
    sign_in_directly(testapp, dbsession, staff)
    same = key() + "-refund-once"
    testapp.post_form(url, {"amount": "300", "idempotency_key": same}, status=303)
    testapp.post_form(url, {"amount": "300", "idempotency_key": same}, status=303)
    assert wallet_balance(dbsession, regional, resident) == 9_300
    page = testapp.post_form(url, {"amount": "701", "idempotency_key": key() + "-0123456789"},
                             status=400)
    assert "more than what is left" in page.text
    testapp.post_form(url, {"amount": "700", "idempotency_key": key() + "-0123456789"},
                      status=303)
    testapp.post_form(url, {"amount": "1", "idempotency_key": key() + "-0123456789"},
                      status=400)
    dbsession.rollback()
    assert dbsession.scalar(select(Payment.refunded).where(Payment.id == payment.id)) == 1000
    assert wallet_balance(dbsession, regional, resident) == 10_000
    assert till_balance(dbsession, regional, shop) == 0
    refunds = dbsession.scalars(select(ledger.Transfer).where(
        ledger.Transfer.reason_code == "refund")).all()
    assert len(refunds) == 2
    assert {r.related_transfer_id for r in refunds} == {payment.transfer_id}
    # the refunded points came back as new lots, with the programme's expiry rule
    new_lots = dbsession.scalars(select(Lot).join(
        ledger.Line, ledger.Line.id == Lot.line_id).where(
        ledger.Line.transfer_id.in_([r.id for r in refunds]))).all()
    assert sorted(lot.amount for lot in new_lots) == [300, 700]
    assert {lot.expires_at for lot in new_lots} == {services.expiry_for(regional, utcnow())}
    verify_ok(dbsession)


def test_no_refund_after_the_refund_period(testapp, dbsession, registry, app_request, regional,
                                           shop, staff, resident):
    testapp.set_cookie("kairan_locale", "en")
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    pay(testapp, code, regional, 400)
    days = registry.settings["kairan.points.refund_days"]
    dbsession.execute(update(Payment).values(created=utcnow() - timedelta(days=days, hours=1)))
    dbsession.commit()
    payment = dbsession.scalars(select(Payment)).one()
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.post_form(f"/merchant/{shop.id}/payments/{payment.id}/refund",
                             {"amount": "400", "idempotency_key": key() + "-0123456789"},
                             status=400)
    assert f"within {days} days" in page.text
    assert wallet_balance(dbsession, regional, resident) == 9_600
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_concurrent_refunds_never_pass_the_payment(dbsession, registry, app_request, regional,
                                                   shop, resident):
    scan = registry.getUtility(IMerchantDirectory).verify_payload(
        app_request, payload(registry, app_request, shop))
    outcome = payments.pay(dbsession, user_id=resident.id, scan=scan, programme=regional,
                           amount=1000, idempotency_key=key() + "-0123456789",
                           max_payment=100_000)
    dbsession.commit()
    payment_id = outcome.payment.id
    factory = registry["dbsession_factory"]
    results = []
    barrier = threading.Barrier(25)

    def work(dbs):
        payment = dbs.get(Payment, payment_id)
        return payments.refund(dbs, payment=payment, amount=100, actor_id=None,
                               idempotency_key=key() + "-0123456789", refund_days=30)

    def run():
        barrier.wait()
        try:
            services.run_in_transaction(factory, work, attempts=20)
            results.append("ok")
        except payments.RefundRefused:
            results.append("refused")

    threads = [threading.Thread(target=run) for _i in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 10 and results.count("refused") == 15
    dbsession.rollback()
    assert dbsession.scalar(select(Payment.refunded).where(Payment.id == payment_id)) == 1000
    assert wallet_balance(dbsession, regional, resident) == 10_000
    verify_ok(dbsession)


@pytest.mark.parametrize("key_, value", [("kairan.points.max_payment", "0"),
                                         ("kairan.points.one_time_seconds", "0"),
                                         ("kairan.points.refund_days", "-1"),
                                         ("kairan.points.pay_stepup_above", "many")])
def test_bad_settings_fail_at_start_up(key_, value):
    from kairan_points.payments import read_settings

    from kairan.settings import SettingsError

    with pytest.raises(SettingsError, match=key_):
        read_settings({key_: value})
    assert read_settings({})["kairan.points.pay_stepup_above"] == 3000


# SECURITY.md: an unexpected error shows a plain page without a stack trace and commits
# nothing (forced after the ledger has written the transfer, its lines and lots).

def row_count(dbsession, model):
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(model))


def test_an_unexpected_error_after_the_ledger_writes_commits_nothing(
        testapp, dbsession, registry, app_request, regional, shop, resident, monkeypatch):
    code = payload(registry, app_request, shop)
    sign_in_directly(testapp, dbsession, resident)
    transfers, lines = row_count(dbsession, Transfer), row_count(dbsession, Line)

    def boom():
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(payments, "receipt_code", boom)
    idempotency_key = key() + "-0123456789"
    params = {"code": code, "programme": str(regional.id), "amount": "700",
              "idempotency_key": idempotency_key}
    response = testapp.post_form("/points/pay/confirm", params, status=500)
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail"):
        assert leak not in response.text
    assert "エラーが発生しました" in response.text

    assert (row_count(dbsession, Transfer), row_count(dbsession, Line)) == (transfers, lines)
    assert row_count(dbsession, Payment) == 0
    assert wallet_balance(dbsession, regional, resident) == 10_000
    assert till_balance(dbsession, regional, shop) == 0
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.payment", AuditEntry.outcome == "success")).all() == []
    verify_ok(dbsession)

    # the same confirmation sent again once the fault is gone pays exactly once
    monkeypatch.undo()
    testapp.post_form("/points/pay/confirm", params, status=303)
    testapp.post_form("/points/pay/confirm", params, status=303)
    assert row_count(dbsession, Payment) == 1
    assert wallet_balance(dbsession, regional, resident) == 9_300
    assert till_balance(dbsession, regional, shop) == 700
    verify_ok(dbsession)


def test_the_amount_page_offers_the_shops_programmes_with_what_can_be_spent(
        testapp, dbsession, registry, app_request, make_programme, make_user):
    """The programmes the shop takes whose categories allow it, each with the resident's
    unexpired points in it (0 without a wallet); one the shop's category is not allowed
    in, or the shop does not take, is not offered."""
    from tests.addons.kairan_points.conftest import give_expiring

    regional = make_programme(code="regional2025", name="県地域ポイント")
    community = make_programme(code="community", name="地域活動ポイント")
    make_programme(code="drugs-only", name="くすりポイント", categories=["drugstore"])
    make_programme(code="not-taken", name="よそのポイント")
    resident = make_user(email="chooser@example.jp")
    give(dbsession, regional, resident, 1_234)
    give_expiring(dbsession, regional, resident, 500, utcnow() - timedelta(days=1))
    shop = make_merchant(dbsession, programmes=("regional2025", "community", "drugs-only"))
    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/points/pay", {"code": payload(registry, app_request, shop)})
    offered = re.findall(r'name="programme"[^>]*value="(\d+)"', page.text)
    assert offered == [str(regional.id), str(community.id)]
    assert "1,234" in page.text and "1,734" not in page.text  # the expired 500 not counted
    assert "くすりポイント" not in page.text and "よそのポイント" not in page.text


def test_the_audit_entry_is_written_with_a_new_payment_only(dbsession, registry, app_request,
                                                            regional, shop, resident):
    scan = registry.getUtility(IMerchantDirectory).verify_payload(
        app_request, payload(registry, app_request, shop))
    entry = {"at": utcnow(), "actor_id": resident.id, "on_behalf_of": None,
             "action": "points.payment", "target": None, "address": "192.0.2.7",
             "outcome": "success", "detail": {"amount": 700}}
    same_key = key() + "-0123456789"

    def pay(amount, idempotency_key):
        return payments.pay(dbsession, user_id=resident.id, scan=scan, programme=regional,
                            amount=amount, idempotency_key=idempotency_key,
                            max_payment=100_000, audit_entry=entry)

    first = pay(700, same_key)
    again = pay(700, same_key)  # the same form again: the first payment, no second entry
    with pytest.raises(payments.PointsRefused):
        pay(50_000, key() + "-0123456789")  # more than the wallet holds: nothing written
    dbsession.commit()
    assert again.replayed and again.payment.id == first.payment.id
    rows = dbsession.execute(select(AuditEntry.target, AuditEntry.address, AuditEntry.detail,
                                    AuditEntry.actor_id)
                             .where(AuditEntry.action == "points.payment")).all()
    assert [tuple(row) for row in rows] == [
        (f"points-payment:{first.payment.id}", "192.0.2.7", {"amount": 700}, resident.id)]
    assert wallet_balance(dbsession, regional, resident) == 10_000 - 700
    verify_ok(dbsession)
