"""Application → confirmation → screening → approval → directory → poster, and the branches
of the way: a question and its answer, a rejection, suspension and reinstatement."""

import re

from kairan_merchants.models import Merchant, MerchantApplication, MerchantStaff
from sqlalchemy import select

from kairan.accounts.models import User
from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.conftest import decide, link_in, post_application


def _apply_and_confirm(testapp, outbox, **overrides):
    post_application(testapp, **overrides)
    mail = outbox()[-1]
    link = link_in(mail, "/shops/apply/")
    page = testapp.get(link)
    page.forms["confirm"].submit(status=303)
    return link, mail


def _application(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(MerchantApplication)).one()


def test_the_whole_way_from_application_to_poster(testapp, dbsession, outbox, operator):
    page = testapp.get("/shops/apply")
    assert "反社会的勢力" in page.text and "第2条第5項" in page.text
    sent = post_application(testapp)
    assert "owner@example.jp" in sent.text
    application = _application(dbsession)
    assert application.status == "unconfirmed"
    mail = outbox("owner@example.jp")[-1]
    link = link_in(mail, "/shops/apply/")
    # the link shows a button; opening it (a mail scanner) changes nothing
    status_page = testapp.get(link)
    assert "confirm" in status_page.forms
    assert _application(dbsession).status == "unconfirmed"
    # the secret link never leaves the site in a Referer header
    assert status_page.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    status_page.forms["confirm"].submit(status=303)
    assert _application(dbsession).status == "submitted"

    # the operator screens it
    sign_in_directly(testapp, dbsession, operator)
    queue = testapp.get("/manage/merchants/applications")
    assert "テストマート" in queue.text
    review = testapp.get(f"/manage/merchants/applications/{application.id}")
    assert "回覧板市中央1-2-3" in review.text
    response = decide(testapp, application.id, "approve", "書類確認済み")
    assert response.status_int == 303
    application = _application(dbsession)
    assert application.status == "approved"
    assert application.decided_by_id == operator.id
    assert application.decided_at is not None
    merchant = dbsession.scalars(select(Merchant)).one()
    assert [b.name for b in merchant.branches] == ["回覧板マート 中央店"]
    staff_user = dbsession.scalar(select(User).where(User.email == "owner@example.jp"))
    assert "MerchantStaff" in staff_user.role_names
    assert dbsession.get(MerchantStaff, (merchant.id, staff_user.id)) is not None
    approved_mail = outbox("owner@example.jp")[-1]
    assert "/password-reset" in approved_mail.body
    actions = set(dbsession.scalars(select(AuditEntry.action)))
    assert {"merchants.apply", "merchants.application_confirm",
            "merchants.application_approve"} <= actions

    # the shop is in the public directory
    testapp.reset()
    listing = testapp.get("/shops", {"q": "中央"})
    assert "回覧板マート 中央店" in listing.text
    branch = merchant.branches[0]
    shop = testapp.get(f"/shops/{branch.id}")
    assert "022-201-0001" in shop.text and "openstreetmap.org/search?query=" in shop.text
    assert "県地域ポイント2025" in shop.text

    # its staff print the poster
    sign_in_directly(testapp, dbsession, staff_user)
    home = testapp.get(f"/merchant/{merchant.id}")
    assert "株式会社テスト商事" in home.text
    poster = testapp.get(f"/merchant/{merchant.id}/posters/{branch.id}")
    assert "<svg" in poster.text and "回覧板マート 中央店" in poster.text
    assert testapp.get("/merchant").status_int == 303


def test_a_question_and_its_answer(testapp, dbsession, outbox, operator):
    _apply_and_confirm(testapp, outbox)
    application = _application(dbsession)
    sign_in_directly(testapp, dbsession, operator)
    assert decide(testapp, application.id, "ask", "営業許可証の写しを送ってください。"
                  ).status_int == 303
    assert _application(dbsession).status == "info_requested"
    question_mail = outbox("owner@example.jp")[-1]
    assert "営業許可証の写し" in question_mail.body
    new_link = link_in(question_mail, "/shops/apply/")
    testapp.reset()
    page = testapp.get(new_link)
    assert "営業許可証の写し" in page.text
    form = page.forms["answer"]
    form["answer"] = "郵送しました。"
    form.submit(status=303)
    application = _application(dbsession)
    assert application.status == "submitted"
    assert [e.kind for e in application.events][-2:] == ["question", "answer"]
    # the operator sees the answer in the history
    sign_in_directly(testapp, dbsession, operator)
    assert "郵送しました。" in testapp.get(
        f"/manage/merchants/applications/{application.id}").text


def test_a_rejection_needs_a_reason_and_is_mailed(testapp, dbsession, outbox, operator):
    link, _mail = _apply_and_confirm(testapp, outbox)
    application = _application(dbsession)
    sign_in_directly(testapp, dbsession, operator)
    refused = decide(testapp, application.id, "reject", "")
    assert refused.status_int == 400
    assert _application(dbsession).status == "submitted"
    assert decide(testapp, application.id, "reject", "対象外の業種です。").status_int == 303
    application = _application(dbsession)
    assert application.status == "rejected" and application.decision_reason == "対象外の業種です。"
    assert "対象外の業種です。" in outbox("owner@example.jp")[-1].body
    assert dbsession.scalars(select(Merchant)).all() == []
    # a decided application cannot be decided again
    assert decide(testapp, application.id, "approve").status_int == 400
    testapp.reset()
    assert "対象外の業種です。" in testapp.get(link).text


def test_suspension_and_reinstatement(testapp, dbsession, outbox, operator, registry):
    from kairan_merchants.interfaces import IMerchantDirectory

    _apply_and_confirm(testapp, outbox)
    application = _application(dbsession)
    sign_in_directly(testapp, dbsession, operator)
    decide(testapp, application.id, "approve")
    merchant = dbsession.scalars(select(Merchant)).one()
    page = testapp.get(f"/manage/merchants/{merchant.id}")
    form = page.forms["status"]
    form["reason"] = "換金性の高い商品へのポイント利用が確認されたため"
    form.submit(status=303)
    dbsession.expire_all()
    assert merchant.status == "suspended"

    directory = registry.getUtility(IMerchantDirectory)
    request = _request(registry, dbsession)
    payload = directory.payload_for(request, merchant.branches[0].id)
    scan = directory.verify_payload(request, payload)
    assert scan is not None and scan.can_take_payments is False
    assert "換金性" in outbox("owner@example.jp")[-1].body

    # staff see the reason; the directory no longer lists the shop
    staff_user = dbsession.scalar(select(User).where(User.email == "owner@example.jp"))
    sign_in_directly(testapp, dbsession, staff_user)
    home = testapp.get(f"/merchant/{merchant.id}")
    assert "換金性の高い商品へのポイント利用が確認されたため" in home.text
    assert "換金性" in testapp.get("/dashboard").text
    testapp.reset()
    assert "回覧板マート 中央店" not in testapp.get("/shops").text
    testapp.get(f"/shops/{merchant.branches[0].id}", status=404)

    sign_in_directly(testapp, dbsession, operator)
    form = testapp.get(f"/manage/merchants/{merchant.id}").forms["status"]
    form["reason"] = "是正を確認しました"
    form.submit(status=303)
    dbsession.expire_all()
    assert merchant.status == "active" and merchant.status_reason == ""
    assert directory.verify_payload(_request(registry, dbsession), payload).can_take_payments
    kinds = [e.kind for e in merchant.events]
    assert kinds == ["approved", "staff_added", "suspended", "reinstated"]
    assert all(e.actor_id == operator.id for e in merchant.events)


def _request(registry, dbsession):
    from pyramid.request import Request, apply_request_extensions

    request = Request.blank("/")
    request.registry = registry
    apply_request_extensions(request)
    request.dbsession = dbsession
    return request


def test_csrf_token_in_forms(testapp):
    page = testapp.get("/shops/apply")
    assert re.search(r'name="csrf_token"\s+value="[^"]+"', page.text)
