"""A shop's one-time code with the amount: shown as QR and text, used once, expires."""

import re
import threading
from datetime import timedelta

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import services
from kairan_points.payments import services as payments
from kairan_points.payments.models import OneTimeCode, Payment
from sqlalchemy import func, select, update

from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok
from tests.addons.kairan_points.functional import test_payments as base

KEY_RE, RECEIPT_RE, give, wallet_balance = (base.KEY_RE, base.RECEIPT_RE, base.give,
                                            base.wallet_balance)
# the fixtures of the static-code tests
regional, resident, shop, staff = (base.regional, base.resident, base.shop, base.staff)

CODE_RE = re.compile(r"KP1\.\d+\.[A-Za-z0-9_-]{22}")


def new_code(testapp, dbsession, staff, shop, amount, status=200):
    sign_in_directly(testapp, dbsession, staff)
    return testapp.post_form(f"/merchant/{shop.id}/payments/one-time",
                             {"amount": str(amount)}, status=status)


def payment_count(dbsession):
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(Payment))


def redeem(testapp, code, programme, amount, status=303):
    return testapp.post_form("/points/pay/confirm", {
        "code": code, "programme": str(programme.id), "amount": str(amount),
        "idempotency_key": key() + "-0123456789"}, status=status)


def test_staff_show_a_one_time_code_and_a_resident_pays_it_once(
        testapp, dbsession, regional, shop, staff, resident):
    testapp.set_cookie("kairan_locale", "en")
    page = new_code(testapp, dbsession, staff, shop, 1500)
    code = CODE_RE.search(page.text).group(0)
    assert "<svg" in page.text and "1,500" in page.text
    row = dbsession.scalars(select(OneTimeCode)).one()
    assert code.split(".")[2] not in row.secret_hash  # only its digest is stored
    seconds = testapp.app.registry.settings["kairan.points.one_time_seconds"]
    assert row.expires_at - row.created == timedelta(seconds=seconds)

    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/points/pay", {"code": code})
    assert "Amount set by the shop" in page.text and 'name="amount" value="1500"' in page.text
    page = testapp.get("/points/pay/confirm", {"code": code, "programme": str(regional.id),
                                               "amount": "1500"})
    same = KEY_RE.search(page.text).group(1)
    params = {"code": code, "programme": str(regional.id), "amount": "1500",
              "idempotency_key": same}
    first = testapp.post_form("/points/pay/confirm", params, status=303)
    # the same form again gives the same receipt, not a refusal nor a second payment
    assert testapp.post_form("/points/pay/confirm", params, status=303).location == \
        first.location
    receipt = RECEIPT_RE.search(first.follow().text).group(1)
    assert wallet_balance(dbsession, regional, resident) == 8_500
    page = redeem(testapp, code, regional, 1500, status=400)
    assert "already been used" in page.text
    assert payment_count(dbsession) == 1
    row = dbsession.scalars(select(OneTimeCode)).one()
    payment = dbsession.scalars(select(Payment)).one()
    assert row.used_at is not None and row.payment_id == payment.id

    sign_in_directly(testapp, dbsession, staff)
    assert receipt in testapp.get(f"/merchant/{shop.id}/payments").text
    verify_ok(dbsession)


@pytest.mark.parametrize("case", ["expired", "amount", "forged", "other_shop"])
def test_one_time_refusals(case, testapp, dbsession, make_user, regional, shop, staff,
                           resident):
    testapp.set_cookie("kairan_locale", "en")
    page = new_code(testapp, dbsession, staff, shop, 800)
    code = CODE_RE.search(page.text).group(0)
    amount, expected = 800, None
    if case == "expired":
        dbsession.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        dbsession.commit()
        expected = "has expired"
    elif case == "amount":
        amount, expected = 799, "the one the shop set"
    elif case == "forged":
        code = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
        expected = "not a shop's code"
    elif case == "other_shop":
        other_staff = make_user(email="other-shop@example.jp")
        make_merchant(dbsession, staff_user=other_staff, name="別の店", branch="別の店 本店")
        new_code(testapp, dbsession, other_staff, shop, 800, status=403)
        assert dbsession.scalar(select(func.count()).select_from(OneTimeCode)) == 1
        verify_ok(dbsession)
        return
    sign_in_directly(testapp, dbsession, resident)
    page = redeem(testapp, code, regional, amount, status=400)
    assert expected in page.text
    assert payment_count(dbsession) == 0
    assert wallet_balance(dbsession, regional, resident) == 10_000
    dbsession.rollback()
    assert dbsession.scalar(select(OneTimeCode.used_at)) is None
    verify_ok(dbsession)


def test_a_refused_payment_leaves_the_code_unused(testapp, dbsession, regional, shop, staff,
                                                  resident):
    page = new_code(testapp, dbsession, staff, shop, 20_000)  # more than the wallet holds
    code = CODE_RE.search(page.text).group(0)
    sign_in_at_level(testapp, dbsession, resident, level=2)
    redeem(testapp, code, regional, 20_000, status=400)
    give(dbsession, regional, resident, 10_000)
    redeem(testapp, code, regional, 20_000)
    assert payment_count(dbsession) == 1
    assert wallet_balance(dbsession, regional, resident) == 0
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_fifty_concurrent_redemptions_make_one_payment(dbsession, registry, app_request,
                                                       make_user, regional, shop):
    directory = registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(app_request, directory.payload_for(app_request,
                                                                    shop.branches[0].id))
    residents = [make_user(email=f"payer{i}@example.jp") for i in range(10)]
    for person in residents:
        give(dbsession, regional, person, 1000)
    code, _text = payments.create_one_time(dbsession, merchant_id=shop.id,
                                           branch_id=shop.branches[0].id, amount=300,
                                           created_by=None, seconds=300, max_payment=100_000)
    dbsession.commit()
    code_id = code.id
    factory = registry["dbsession_factory"]
    results = []
    barrier = threading.Barrier(50)

    def attempt(user_id):
        def work(dbs):
            programme = dbs.get(type(regional), regional.id)
            return payments.pay(dbs, user_id=user_id, scan=scan, programme=programme,
                                amount=300, idempotency_key=key() + "-0123456789",
                                max_payment=100_000, one_time=dbs.get(OneTimeCode, code_id))

        barrier.wait()
        try:
            services.run_in_transaction(factory, work, attempts=20)
            results.append("paid")
        except payments.PaymentRefused:
            results.append("refused")

    threads = [threading.Thread(target=attempt, args=(residents[i % 10].id,))
               for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("paid") == 1 and results.count("refused") == 49
    assert payment_count(dbsession) == 1
    assert dbsession.scalar(select(OneTimeCode.payment_id)) is not None
    verify_ok(dbsession)


def test_exporters_of_payments_and_codes(testapp, dbsession, regional, shop, staff, resident):
    from types import SimpleNamespace

    from kairan_points.payments.exporters import OneTimeCodesExporter, PaymentsExporter

    page = new_code(testapp, dbsession, staff, shop, 200)
    code = CODE_RE.search(page.text).group(0)
    sign_in_directly(testapp, dbsession, resident)
    redeem(testapp, code, regional, 200)
    dbsession.rollback()
    request = SimpleNamespace(dbsession=dbsession)
    (payment,) = list(PaymentsExporter().rows(request))
    columns = [name for name, _title in PaymentsExporter().columns(request)]
    row = dict(zip(columns, payment, strict=True))
    assert (row["programme"], row["merchant_id"], row["user_id"], row["amount"],
            row["refunded"]) == ("regional2025", shop.id, resident.id, 200, 0)
    (one_time,) = list(OneTimeCodesExporter().rows(request))
    assert one_time[-1] == row["payment_id"]
    assert code.split(".")[2] not in " ".join(map(str, one_time))
    verify_ok(dbsession)


def test_a_closed_shop_takes_no_payment_by_either_code(testapp, dbsession, registry,
                                                      app_request, regional, shop, staff,
                                                      resident):
    from kairan_merchants.models import MerchantBranch

    # a second shop of the merchant, with a static code and a one-time code made while open
    now = utcnow()
    second = MerchantBranch(merchant_id=shop.id, name="回覧板マート 北店", postal_code="980-0002",
                            address="回覧板市北1-1", area="chuo", phone="022-211-2222",
                            hours="", qr_version=1, created=now)
    dbsession.add(second)
    dbsession.commit()
    static = registry.getUtility(IMerchantDirectory).payload_for(app_request, second.id)
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.post_form(f"/merchant/{shop.id}/payments/one-time",
                             {"amount": "300", "branch": str(second.id)})
    one_time = CODE_RE.search(page.text).group(0)

    dbsession.execute(update(MerchantBranch).where(MerchantBranch.id == second.id)
                      .values(closed_at=now))
    dbsession.commit()
    sign_in_directly(testapp, dbsession, resident)
    for code in (static, one_time):
        page = redeem(testapp, code, regional, 300, status=400)
        assert "この店舗は閉店したため、ポイントでの支払いはできません。" in page.text
    assert payment_count(dbsession) == 0
    assert wallet_balance(dbsession, regional, resident) == 10_000

    # staff cannot make a one-time code for the closed shop; the open one still works
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.get(f"/merchant/{shop.id}/payments")
    assert f'value="{second.id}"' not in page.text
    refused = testapp.post_form(f"/merchant/{shop.id}/payments/one-time",
                                {"amount": "300", "branch": str(second.id)}, status=400)
    assert "本日の支払い" in refused.text and not CODE_RE.search(refused.text)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.branch_id == second.id)) == 1  # only the one made while it was open
    page = testapp.post_form(f"/merchant/{shop.id}/payments/one-time", {"amount": "300"})
    sign_in_directly(testapp, dbsession, resident)
    redeem(testapp, CODE_RE.search(page.text).group(0), regional, 300)
    assert payment_count(dbsession) == 1
    verify_ok(dbsession)
