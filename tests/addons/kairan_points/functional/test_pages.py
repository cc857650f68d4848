"""The wallet and the operators' pages through WebTest, on SQLite and PostgreSQL."""

import re
import threading
from types import SimpleNamespace

import pytest
import webtest
from kairan_points import ledger, services
from kairan_points.exporters import BalancesExporter, TransfersExporter
from kairan_points.kpis import PointsIssued
from kairan_points.models import PendingGrant, Programme, Transfer
from kairan_points.providers import PointsData
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.testing import KairanTestApp, sign_in_directly
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok

KEY_RE = re.compile(r'name="idempotency_key"\s+value="([^"]+)"')


def give(dbsession, programme, user, amount, reason="welcome"):
    record = services.grant(dbsession, programme, user.id, amount, reason, actor_id=None,
                            idempotency_key=key())
    dbsession.commit()
    return record


@pytest.fixture
def operator(make_user):
    return make_user(email="operator@example.jp", roles=("Member", "Operator"))


@pytest.fixture
def second_operator(make_user):
    return make_user(email="operator2@example.jp", roles=("Member", "Operator"))


def fresh_app(app):
    return KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.11",
                                             "HTTP_HOST": "localhost"})


# -- the resident's wallet ---------------------------------------------------------------------

def test_the_wallet_shows_balances_expiry_and_history(testapp, dbsession, programme,
                                                      make_user):
    resident = make_user()
    give(dbsession, programme, resident, 1500, reason="防災アプリ登録")
    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/points")
    assert "宮城県地域ポイント2025" in page.text
    assert "1,500" in page.text
    assert f"{programme.expires_on:%Y-%m-%d}" in page.text
    assert "防災アプリ登録" in page.text
    # the wallet leads to paying at a shop and checking in at an activity
    assert 'href="/points/pay"' in page.text and 'href="/points/checkin"' in page.text
    testapp.get("/language/en?came_from=/points", status=303)
    page = testapp.get("/points")
    assert "Miyagi regional points 2025" in page.text
    assert "Expire on (at 00:00)" in page.text


def test_the_dashboard_tile_shows_the_balance(testapp, dbsession, programme, make_user):
    resident = make_user()
    give(dbsession, programme, resident, 320)
    sign_in_directly(testapp, dbsession, resident)
    page = testapp.get("/dashboard")
    assert "320ポイント" in page.text
    assert 'href="/points"' in page.text


def test_one_resident_never_sees_another_residents_wallet(testapp, dbsession, programme,
                                                          make_user):
    owner = make_user()
    other = make_user()
    secret_reason = "秘密の付与理由-7c1f"
    record = give(dbsession, programme, owner, 4321, reason=secret_reason)
    sign_in_directly(testapp, dbsession, owner)
    assert secret_reason in testapp.get(f"/points/transfers/{record.id}").text

    intruder = fresh_app(testapp.app)
    sign_in_directly(intruder, dbsession, other)
    attempts = [f"/points/transfers/{record.id}", f"/points?user_id={owner.id}",
                f"/points?page=1&account={record.id}", "/points/transfers/99999999999",
                "/manage/points", f"/manage/points/programmes/{programme.id}/edit",
                "/manage/points/grant", "/manage/points/approvals"]
    for url in attempts:
        response = intruder.get(url, status="*", expect_errors=True)
        assert response.status_int in (200, 303, 403, 404), (url, response.status)
        assert secret_reason not in response.text, url
        assert "4,321" not in response.text, url
        if "transfers" in url or "manage" in url:
            assert response.status_int in (403, 404), (url, response.status)
    response = intruder.post_form(f"/manage/points/approvals/{record.id}",
                                  {"decision": "approve"}, status="*", expect_errors=True)
    assert response.status_int == 403


def test_anonymous_visitors_are_sent_to_sign_in(testapp):
    response = testapp.get("/points", status=303)
    assert "/login" in response.headers["Location"]


# -- programmes ---------------------------------------------------------------------------------

PROGRAMME_FORM = {
    "code": "nakama-community", "name": "なかマイル", "name_en": "Nakamile",
    "spend_from": "2026-10-01", "spend_until": "2027-03-31", "expiry_kind": "days",
    "expires_on": "", "expiry_days": "180", "categories": "supermarket, taxi",
    "budget": "５００，０００",
}


def test_an_operator_creates_and_edits_a_programme(testapp, dbsession, operator):
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.get("/manage/points/programmes/new")
    # the form carries its CSRF token (a browser's POST has nothing else to send)
    assert 'name="csrf_token"' in page.text
    response = testapp.post_form("/manage/points/programmes/new",
                                 {**PROGRAMME_FORM, "issued": "999", "id": "77",
                                  "balance": "5"}, status=303)
    assert response.headers["Location"].endswith("/manage/points")
    programme = dbsession.scalars(select(Programme)).one()
    assert (programme.code, programme.expiry_kind, programme.expiry_days) == \
        ("nakama-community", "days", 180)
    assert programme.categories == ["supermarket", "taxi"]
    assert programme.budget == 500_000 and programme.id != 77
    assert ledger.issued(dbsession, programme.id) == 0
    listing = testapp.get("/manage/points")
    assert "なかマイル" in listing.text and "0 / 500,000" in listing.text

    edit = f"/manage/points/programmes/{programme.id}/edit"
    assert 'value="nakama-community"' in testapp.get(edit).text
    testapp.post_form(edit, {**PROGRAMME_FORM, "budget": "600000"}, status=303)
    dbsession.expire_all()
    assert dbsession.get(Programme, programme.id).budget == 600_000
    actions = set(dbsession.scalars(select(AuditEntry.action)))
    assert {"points.programme.create", "points.programme.update"} <= actions
    verify_ok(dbsession)


@pytest.mark.parametrize("field,value,message", [
    ("budget", "-5", "ポイント数を半角または全角の整数で"),
    ("budget", "1.5", "ポイント数を半角または全角の整数で"),
    ("budget", "NaN", "ポイント数を半角または全角の整数で"),
    ("budget", "0", "1以上"),
    ("budget", "9" * 30, "ポイント数を半角または全角の整数で"),
    ("spend_until", "2026-09-01", "終了日が開始日より前"),
    ("code", "Bad Code!", "英小文字"),
    ("expiry_days", "", "何日後に失効するか"),
])
def test_a_bad_programme_is_refused_with_a_message(testapp, dbsession, operator, field, value,
                                                   message):
    sign_in_directly(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/programmes/new",
                                 {**PROGRAMME_FORM, field: value}, status=400)
    assert message in response.text
    assert 'role="alert"' in response.text
    assert dbsession.scalar(select(func.count()).select_from(Programme)) == 0


def test_the_budget_cannot_go_below_what_was_issued(testapp, dbsession, operator, programme,
                                                    make_user):
    give(dbsession, programme, make_user(), 700)
    sign_in_directly(testapp, dbsession, operator)
    form = {**PROGRAMME_FORM, "code": programme.code, "expiry_kind": "fixed",
            "expires_on": "2027-04-01", "expiry_days": "", "budget": "699"}
    response = testapp.post_form(f"/manage/points/programmes/{programme.id}/edit", form,
                                 status=400)
    assert "予算" in response.text
    dbsession.expire_all()
    assert dbsession.get(Programme, programme.id).budget == 1_000_000


def test_residents_cannot_reach_the_operators_pages(testapp, dbsession, make_user):
    sign_in_directly(testapp, dbsession, make_user())
    for url in ("/manage/points", "/manage/points/programmes/new", "/manage/points/approvals"):
        testapp.get(url, status=403)
    testapp.post_form("/manage/points/programmes/new", PROGRAMME_FORM, status=403)
    assert dbsession.scalar(select(func.count()).select_from(Programme)) == 0


# -- grants, corrections, approvals ----------------------------------------------------------------

def grant_form(testapp, programme, email, amount, reason="窓口での付与", **extra):
    page = testapp.get("/manage/points/grant")
    assert 'name="csrf_token"' in page.text
    token = KEY_RE.search(page.text).group(1)
    return {"programme": str(programme.id), "email": email, "amount": str(amount),
            "reason": reason, "idempotency_key": token, **extra}


def test_granting_needs_a_recent_level_2_sign_in(testapp, dbsession, operator, programme):
    sign_in_directly(testapp, dbsession, operator)
    response = testapp.get("/manage/points/grant", status=303)
    assert "/stepup" in response.headers["Location"]
    assert "action=points.grant" in response.headers["Location"]


def test_a_small_grant_takes_effect_once_and_ignores_extra_fields(
        testapp, dbsession, operator, programme, make_user):
    resident = make_user(email="resident@example.jp")
    bystander = make_user(email="bystander@example.jp")
    sign_in_at_level(testapp, dbsession, operator)
    form = grant_form(testapp, programme, "Resident@Example.jp ", "1,000",
                      user_id=str(bystander.id), balance="99999", actor_id="1")
    testapp.post_form("/manage/points/grant", form, status=303)
    testapp.post_form("/manage/points/grant", form, status=303)  # a double click
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 1
    wallet = ledger.wallet_account(dbsession, programme.id, resident.id)
    assert wallet.balance == 1000
    assert ledger.wallet_account(dbsession, programme.id, bystander.id, create=False) is None
    record = dbsession.scalars(select(Transfer)).one()
    assert record.actor_id == operator.id and record.reason == "窓口での付与"
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "points.grant")).one()
    assert entry.actor_id == operator.id and entry.target == f"user:{resident.id}"
    verify_ok(dbsession)


@pytest.mark.parametrize("amount", ["0", "-100", "12.5", "1e3", "NaN", "", "99999999999999999"])
def test_bad_grant_amounts_are_refused(testapp, dbsession, operator, programme, make_user,
                                       amount):
    make_user(email="resident@example.jp")
    sign_in_at_level(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/grant",
                                 grant_form(testapp, programme, "resident@example.jp", amount),
                                 status=400)
    assert 'role="alert"' in response.text
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 0


def test_a_grant_to_an_unknown_address_is_refused(testapp, dbsession, operator, programme):
    sign_in_at_level(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/grant",
                                 grant_form(testapp, programme, "nobody@example.jp", 10),
                                 status=400)
    assert "このメールアドレスのアカウントはありません" in response.text


def test_a_large_grant_needs_another_operators_approval(app, testapp, dbsession, operator,
                                                         second_operator, programme, make_user):
    resident = make_user(email="resident@example.jp")
    sign_in_at_level(testapp, dbsession, operator)
    testapp.post_form("/manage/points/grant",
                      grant_form(testapp, programme, "resident@example.jp", 50_000), status=303)
    pending = dbsession.scalars(select(PendingGrant)).one()
    assert pending.status == "pending"
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 0

    page = testapp.get("/manage/points/approvals")
    assert "別の運用担当者" in page.text
    refused = testapp.post_form(f"/manage/points/approvals/{pending.id}",
                                {"decision": "approve"}, status=403)
    assert "別の運用担当者が承認" in refused.text
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 0

    approver = fresh_app(app)
    sign_in_at_level(approver, dbsession, second_operator)
    approver.post_form(f"/manage/points/approvals/{pending.id}", {"decision": "approve"},
                       status=303)
    again = approver.post_form(f"/manage/points/approvals/{pending.id}",
                               {"decision": "approve"}, status=403)
    assert "すでに決定" in again.text
    dbsession.expire_all()
    pending = dbsession.get(PendingGrant, pending.id)
    assert (pending.status, pending.decided_by) == ("approved", second_operator.id)
    assert ledger.wallet_account(dbsession, programme.id, resident.id).balance == 50_000
    actions = [e.action for e in dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id))
               if e.action.startswith("points.")]
    assert actions.count("points.grant.request") == 1
    assert actions.count("points.grant.approve") == 3  # denied, approved, denied again
    verify_ok(dbsession)


def test_a_rejected_grant_grants_nothing(app, testapp, dbsession, operator, second_operator,
                                         programme, make_user):
    make_user(email="resident@example.jp")
    sign_in_at_level(testapp, dbsession, operator)
    testapp.post_form("/manage/points/grant",
                      grant_form(testapp, programme, "resident@example.jp", 20_000), status=303)
    pending = dbsession.scalars(select(PendingGrant)).one()
    approver = fresh_app(app)
    sign_in_at_level(approver, dbsession, second_operator)
    approver.post_form(f"/manage/points/approvals/{pending.id}", {"decision": "reject"},
                       status=303)
    dbsession.expire_all()
    assert dbsession.get(PendingGrant, pending.id).status == "rejected"
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 0


def test_a_correction_never_takes_a_wallet_below_zero(testapp, dbsession, operator, programme,
                                                      make_user):
    resident = make_user(email="resident@example.jp")
    give(dbsession, programme, resident, 300)
    sign_in_at_level(testapp, dbsession, operator)
    page = testapp.get("/manage/points/correct")
    form = {"programme": str(programme.id), "email": "resident@example.jp", "amount": "301",
            "reason": "誤付与", "idempotency_key": KEY_RE.search(page.text).group(1)}
    response = testapp.post_form("/manage/points/correct", form, status=400)
    assert "ポイントが足りません" in response.text
    testapp.post_form("/manage/points/correct", {**form, "amount": "100"}, status=303)
    assert ledger.wallet_account(dbsession, programme.id, resident.id).balance == 200
    assert ledger.issued(dbsession, programme.id) == 200
    verify_ok(dbsession)


@pytest.mark.postgres_only
def test_100_parallel_requests_with_one_key_grant_once(app, testapp, dbsession, operator,
                                                       programme, make_user):
    resident = make_user(email="resident@example.jp")
    sign_in_at_level(testapp, dbsession, operator)
    form = grant_form(testapp, programme, "resident@example.jp", 77)
    form["csrf_token"] = testapp.csrf_token().strip('"')
    # the jar keeps values quoted; set_cookie would quote them again
    cookies = {name: testapp.cookies[name].strip('"') for name in ("kairan_session",
                                                                   "kairan_csrf")}
    barrier = threading.Barrier(20)
    statuses = []

    def worker():
        client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.12",
                                                     "HTTP_HOST": "localhost"})
        for name, value in cookies.items():
            client.set_cookie(name, value)
        barrier.wait()
        for _ in range(5):
            response = client.post("/manage/points/grant", form, status="*",
                                   expect_errors=True)
            statuses.append((response.status_int, response.headers.get("Location", "")))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [(303, "http://localhost/manage/points")] * 100, statuses[:2]
    assert dbsession.scalar(select(func.count()).select_from(Transfer)) == 1
    assert ledger.wallet_account(dbsession, programme.id, resident.id).balance == 77
    verify_ok(dbsession)


# -- exporters, KPIs, personal data --------------------------------------------------------------

def test_exporters_kpi_and_personal_data(dbsession, programme, make_user):
    resident = make_user()
    record = give(dbsession, programme, resident, 250)
    request = SimpleNamespace(dbsession=dbsession)
    lines = list(TransfersExporter().rows(request))
    assert sorted(row[-1] for row in lines) == [-250, 250]
    assert all(row[0] == record.id for row in lines)
    balances = {row[2]: row[-1] for row in BalancesExporter().rows(request)}
    assert balances["wallet"] == 250 and balances["issuer"] == -250
    month = services.tokyo_date(record.at).strftime("%Y-%m")
    assert PointsIssued().monthly(request, month, month) == {month: 250}
    data = PointsData().export(request, resident)
    wallet = data["wallets"][0]
    assert wallet["balance"] == 250 and wallet["lots"][0]["remaining"] == 250
    assert wallet["transfers"][0]["amount"] == 250
    assert PointsData().export(request, make_user()) == {"wallets": []}
