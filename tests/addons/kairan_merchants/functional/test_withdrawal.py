"""An applicant withdraws an open application from the secret status link."""

from datetime import timedelta

import pytest
from kairan_merchants.models import ApplicationEvent, MerchantApplication
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.conftest import decide, link_in, post_application


def _apply(testapp, outbox, confirm=True, **overrides):
    post_application(testapp, **overrides)
    link = link_in(outbox()[-1], "/shops/apply/")
    if confirm:
        testapp.get(link).forms["confirm"].submit(status=303)
    return link


def _application(dbsession, **where):
    dbsession.expire_all()
    return dbsession.scalars(select(MerchantApplication).filter_by(**where)
                             .order_by(MerchantApplication.id)).first()


@pytest.mark.parametrize("confirm", [True, False])
def test_an_applicant_withdraws(testapp, dbsession, outbox, operator, confirm):
    link = _apply(testapp, outbox, confirm=confirm)
    status = testapp.get(link)
    withdraw_url = link + "?withdraw=1"
    assert withdraw_url in status.text
    # the confirmation page changes nothing (mail scanners open links)
    confirm_page = testapp.get(withdraw_url)
    assert "<strong>テストマート</strong>の申込みを取り下げますか" in confirm_page.text
    assert confirm_page.headers["Cache-Control"] == "no-store"
    assert _application(dbsession).status == ("submitted" if confirm else "unconfirmed")
    # without the CSRF token: nothing changes
    testapp.post(withdraw_url, {"__formid__": "withdraw", "reason": "x"}, status="*",
                 expect_errors=True)
    assert _application(dbsession).status != "withdrawn"

    form = testapp.get(withdraw_url).forms["withdraw"]
    form["reason"] = "別の制度を利用するため"
    form.submit(status=303)
    application = _application(dbsession)
    assert application.status == "withdrawn"
    event = application.events[-1]
    assert (event.kind, event.actor_id, event.text) == ("withdrawn", None,
                                                        "別の制度を利用するため")
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "merchants.application_withdraw",
        AuditEntry.target == f"merchant_application:{application.id}")).one()
    assert "取り下げ" in outbox("owner@example.jp")[-1].body
    after = testapp.get(link)
    assert "取下げ" in after.text and withdraw_url not in after.text
    assert "confirm" not in after.forms
    # twice: refused with a message
    response = testapp.post(withdraw_url, {"csrf_token": testapp.csrf_token(),
                                           "__formid__": "withdraw", "reason": ""}, status=400)
    assert "取り下げられません" in response.text

    # out of the operators' queue; listed under "withdrawn", with its history
    sign_in_directly(testapp, dbsession, operator)
    assert "テストマート" not in testapp.get("/manage/merchants/applications").text
    assert "テストマート" in testapp.get("/manage/merchants/applications",
                                         {"status": "withdrawn"}).text
    review = testapp.get(f"/manage/merchants/applications/{application.id}")
    assert "申込者が取り下げ" in review.text and "別の制度を利用するため" in review.text
    assert "form" not in review.forms
    assert decide(testapp, application.id, "approve").status_int == 400
    assert _application(dbsession).status == "withdrawn"


def test_a_withdrawn_application_frees_the_duplicate_check(testapp, dbsession, outbox):
    link = _apply(testapp, outbox)
    # while it is open, the same e-mail address and phone are refused
    refused = post_application(testapp, status=400, legal_name="株式会社別名")
    assert "すでに審査中" in refused.text or 'role="alert"' in refused.text
    testapp.get(link + "?withdraw=1").forms["withdraw"].submit(status=303)
    post_application(testapp)
    second_link = link_in(outbox("owner@example.jp")[-1], "/shops/apply/")
    assert second_link != link
    testapp.get(second_link).forms["confirm"].submit(status=303)
    dbsession.expire_all()
    statuses = dbsession.scalars(select(MerchantApplication.status)
                                 .order_by(MerchantApplication.id)).all()
    assert statuses == ["withdrawn", "submitted"]


def test_decided_applications_cannot_be_withdrawn(testapp, dbsession, outbox, operator):
    link = _apply(testapp, outbox)
    application = _application(dbsession)
    sign_in_directly(testapp, dbsession, operator)
    decide(testapp, application.id, "reject", "対象外の業種です")
    status = testapp.get(link)
    assert link + "?withdraw=1" not in status.text
    page = testapp.get(link + "?withdraw=1")
    assert "取り下げられません" in page.text and "withdraw" not in page.forms
    response = testapp.post(link + "?withdraw=1", {"csrf_token": testapp.csrf_token(),
                                                 "__formid__": "withdraw"}, status=400)
    assert "取り下げられません" in response.text
    assert _application(dbsession).status == "rejected"
    assert not dbsession.scalars(select(ApplicationEvent).where(
        ApplicationEvent.kind == "withdrawn")).first()


def test_a_wrong_link_cannot_withdraw(testapp, dbsession, outbox):
    _apply(testapp, outbox)
    testapp.get("/shops/apply/not-a-real-token?withdraw=1", status=404)
    testapp.post("/shops/apply/not-a-real-token?withdraw=1",
                 {"csrf_token": testapp.csrf_token(), "__formid__": "withdraw"}, status=404)
    assert _application(dbsession).status == "submitted"


def test_the_withdrawal_pages_in_english(testapp, dbsession, outbox):
    link = _apply(testapp, outbox)
    testapp.set_cookie("kairan_locale", "en")
    assert "Withdraw the application" in testapp.get(link).text
    page = testapp.get(link + "?withdraw=1")
    assert "Do you want to withdraw the application of" in page.text


def test_kpis_count_withdrawn_applications_and_closed_shops_out(dbsession, registry,
                                                                app_request):
    from kairan_merchants.models import MerchantBranch
    from kairan_merchants.normalising import legal_name_key

    from kairan.db.meta import utcnow
    from kairan.kpi.services import add_months, month_of, registered_kpis
    from tests.addons.kairan_merchants.functional.helpers import make_merchant

    now = utcnow()
    this_month = month_of(now)
    earlier = now.replace(day=15) - timedelta(days=62)
    before = month_of(earlier)
    application = MerchantApplication(
        status="withdrawn", legal_name="x", legal_name_key=legal_name_key("x"), trade_name="x",
        category="retail", programmes=[], contact_name="x", contact_email="x@example.jp",
        contact_phone="0222111111", branches=[], locale="ja", link_hash="b" * 64,
        link_expires=now, created=earlier, confirmed_at=earlier)
    application.events.append(ApplicationEvent(at=earlier, kind="confirmed"))
    application.events.append(ApplicationEvent(at=now, kind="withdrawn"))
    dbsession.add(application)
    merchant = make_merchant(dbsession)
    merchant.branches[0].created = earlier
    merchant.branches.append(MerchantBranch(
        name="閉店した店", postal_code="980-0001", address="a", area="chuo",
        phone="022-211-1111", hours="", qr_version=1, created=earlier, closed_at=now))
    dbsession.commit()
    kpis = registered_kpis(registry)
    waiting = kpis["merchants.applications.waiting"].monthly(app_request, before, this_month)
    assert waiting[before] == 1 and waiting[this_month] == 0
    shops = kpis["merchants.area.chuo"].monthly(app_request, before, this_month)
    assert shops[before] == 2 and shops[this_month] == 1
    assert add_months(before, 2) == this_month


def test_a_withdrawal_waits_for_a_decision_in_progress(testapp, dbsession, outbox, engine,
                                                      db_backend):
    """An operator's decision holds the row; the applicant's withdrawal sent meanwhile waits
    and then sees the decision (it must not overwrite it)."""
    import threading
    import time

    from sqlalchemy import text

    if db_backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite lets one writer in at a time)")
    link = _apply(testapp, outbox)
    application_id = _application(dbsession).id
    form = testapp.get(link + "?withdraw=1").forms["withdraw"]
    results = {}
    with engine.connect() as operator_connection:
        transaction = operator_connection.begin()
        operator_connection.execute(text(
            "SELECT id FROM merchant_applications WHERE id = :id FOR UPDATE"),
            {"id": application_id})
        operator_connection.execute(text(
            "UPDATE merchant_applications SET status = 'rejected' WHERE id = :id"),
            {"id": application_id})
        thread = threading.Thread(target=lambda: results.setdefault(
            "response", form.submit(status="*", expect_errors=True)))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the operator's transaction
        transaction.commit()
    thread.join(10)
    response = results["response"]
    assert response.status_int == 400 and "取り下げられません" in response.text
    assert _application(dbsession).status == "rejected"
