"""Bad input on the application form: a clear message, status 400, nothing stored or mailed."""

import pytest
from kairan_merchants.models import MerchantApplication
from sqlalchemy import func, select

from kairan.mail.models import OutboxMessage
from tests.addons.kairan_merchants.conftest import SHOP, link_in, post_application


def _counts(dbsession):
    dbsession.expire_all()
    return (dbsession.scalar(select(func.count()).select_from(MerchantApplication)),
            dbsession.scalar(select(func.count()).select_from(OutboxMessage)))


@pytest.mark.parametrize("declaration", ["declared_not_antisocial", "declared_not_adult_business",
                                         "declared_no_cash_equivalents"])
def test_every_declaration_is_required(testapp, dbsession, declaration):
    page = post_application(testapp, status=400, **{declaration: False})
    assert "申込みにはこの誓約が必要です。" in page.text
    assert 'role="alert"' in page.text
    assert _counts(dbsession) == (0, 0)


@pytest.mark.parametrize("postal", ["98-08570", "abc-defg", "9800-001", "980_0001"])
def test_an_invalid_postal_code_is_refused(testapp, dbsession, postal):
    page = post_application(testapp, status=400, branches=[{**SHOP, "postal_code": postal}])
    assert "郵便番号はNNN-NNNNの形で入力してください" in page.text
    assert _counts(dbsession) == (0, 0)


@pytest.mark.parametrize("phone", ["12345", "022-211-211", "090-1234-567", "+1 202 555 0100",
                                   "0000000000", "電話番号"])
def test_an_invalid_phone_number_is_refused(testapp, dbsession, phone):
    page = post_application(testapp, status=400, contact_phone=phone)
    assert "国内の電話番号を入力してください" in page.text
    assert _counts(dbsession) == (0, 0)


def test_an_invalid_shop_phone_is_refused(testapp, dbsession):
    page = post_application(testapp, status=400, branches=[{**SHOP, "phone": "12-34"}])
    assert "国内の電話番号を入力してください" in page.text
    assert _counts(dbsession) == (0, 0)


@pytest.mark.parametrize("postal,phone", [("９８０－０００１", "０２２－２１１－２１１１"),
                                          ("9800001", "+81 22 211 2111"),
                                          ("〒980-0001", "090-1234-5678")])
def test_common_ways_of_writing_are_accepted(testapp, dbsession, postal, phone):
    post_application(testapp, contact_phone=phone, branches=[{**SHOP, "postal_code": postal}])
    application = dbsession.scalars(select(MerchantApplication)).one()
    assert application.branches[0]["postal_code"] == "980-0001"
    assert application.contact_phone.startswith("0")


def test_missing_fields_and_unknown_choices(testapp, dbsession):
    page = post_application(testapp, status=400, legal_name="", category="casino",
                            programmes=["not-a-programme"])
    assert "業種を一覧から選んでください。" in page.text
    assert "ポイント事業を一覧から選んでください。" in page.text
    page = post_application(testapp, status=400, programmes=[])
    assert "ポイント事業を1つ以上選んでください。" in page.text
    assert _counts(dbsession) == (0, 0)


def test_a_half_filled_extra_branch_is_refused(testapp, dbsession):
    page = post_application(testapp, status=400, branches=[SHOP, {"name": "北店"}])
    assert "記入する店舗ごとに必須です。" in page.text
    assert _counts(dbsession) == (0, 0)


def test_extra_branches_are_kept(testapp, dbsession):
    second = {**SHOP, "name": "回覧板マート 北店", "area": "kita", "phone": "022-201-0002"}
    post_application(testapp, branches=[SHOP, second])
    application = dbsession.scalars(select(MerchantApplication)).one()
    assert [b["name"] for b in application.branches] == ["回覧板マート 中央店",
                                                          "回覧板マート 北店"]


def _confirmed(testapp, dbsession, outbox, **overrides):
    post_application(testapp, **overrides)
    link = link_in(outbox()[-1], "/shops/apply/")
    testapp.get(link).forms["confirm"].submit(status=303)


@pytest.mark.parametrize("same", [
    {"legal_name": "株式会社 テスト商事", "contact_email": "other@example.jp",
     "contact_phone": "022-999-9999"},
    {"legal_name": "別の会社", "contact_email": "OWNER@example.jp",
     "contact_phone": "022-999-9999"},
    {"legal_name": "別の会社", "contact_email": "other@example.jp",
     "contact_phone": "0222112111"},
])
def test_a_duplicate_of_an_open_application_is_refused(testapp, dbsession, outbox, same):
    _confirmed(testapp, dbsession, outbox)
    before = _counts(dbsession)
    page = post_application(testapp, status=400, **same)
    assert "すでに審査中です" in page.text
    assert 'role="alert"' in page.text
    assert _counts(dbsession) == before


def test_a_second_unconfirmed_copy_cannot_be_confirmed_while_one_is_open(testapp, dbsession,
                                                                         outbox):
    post_application(testapp)
    first_link = link_in(outbox()[-1], "/shops/apply/")
    post_application(testapp)  # not confirmed yet: no duplicate known so far
    second_link = link_in(outbox()[-1], "/shops/apply/")
    testapp.get(first_link).forms["confirm"].submit(status=303)
    refused = testapp.get(second_link).forms["confirm"].submit(status=400)
    assert "すでに審査中です" in refused.text
    statuses = sorted(dbsession.scalars(select(MerchantApplication.status)))
    assert statuses == ["submitted", "unconfirmed"]


def test_a_wrong_link_is_404_and_answers_need_a_question(testapp, dbsession, outbox):
    testapp.get("/shops/apply/not-a-real-token", status=404)
    testapp.get("/shops/apply/" + "x" * 300, status=404)
    post_application(testapp)
    link = link_in(outbox()[-1], "/shops/apply/")
    page = testapp.get(link)
    response = testapp.post(link, {"csrf_token": testapp.csrf_token(), "__formid__": "answer",
                                   "answer": "勝手な回答"}, status=400)
    assert "このフォームは現在使えません" in response.text
    assert page.status_int == 200
    application = dbsession.scalars(select(MerchantApplication)).one()
    assert [e.kind for e in application.events] == ["submitted"]


def test_mass_assignment_is_ignored(testapp, dbsession):
    from tests.addons.kairan_merchants.conftest import application_fields, application_params

    testapp.get("/shops/apply")
    params = application_params(testapp.csrf_token(), application_fields())
    params += [("status", "approved"), ("decided_by_id", "1"), ("link_hash", "x" * 64)]
    testapp.post("/shops/apply", params)
    application = dbsession.scalars(select(MerchantApplication)).one()
    assert application.status == "unconfirmed" and application.decided_by_id is None
    assert application.link_hash != "x" * 64
