"""Who may see what: one merchant's staff never reach another merchant's pages, and only
operators (and managers) reach the screening pages."""

import pytest
from kairan_merchants.models import MerchantBranch, MerchantStaff
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant

OWN_PAGES = ("", "/branches", "/staff", "/posters")


@pytest.fixture
def two_merchants(dbsession, make_user):
    alice = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"))
    bob = make_user(email="bob@example.jp", roles=("Member", "MerchantStaff"))
    mine = make_merchant(dbsession, alice, name="アリス商店", branch="アリス商店 本店")
    theirs = make_merchant(dbsession, bob, name="ボブ薬局", branch="ボブ薬局 駅前店",
                           category="drugstore", contact_email="bob-secret@example.jp")
    return alice, mine, theirs


def _theirs_urls(theirs):
    branch_id = theirs.branches[0].id
    urls = [f"/merchant/{theirs.id}{suffix}" for suffix in OWN_PAGES]
    urls += [f"/merchant/{theirs.id}/posters/{branch_id}",
             f"/merchant/{theirs.id}/posters/{branch_id}/qr.svg",
             f"/merchant/{theirs.id}/branches/{branch_id}/close"]
    return urls


def test_staff_cannot_see_another_merchants_pages(testapp, dbsession, two_merchants):
    alice, mine, theirs = two_merchants
    sign_in_directly(testapp, dbsession, alice)
    for suffix in OWN_PAGES:
        assert "アリス商店" in testapp.get(f"/merchant/{mine.id}{suffix}").text
    for url in _theirs_urls(theirs):
        response = testapp.get(url, status="*", expect_errors=True)
        assert response.status_int in (403, 404), url
        for secret in ("ボブ薬局", "bob-secret@example.jp", "bob@example.jp"):
            assert secret not in response.text, (url, secret)
    # refusals are on record
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "access.denied")).first() is not None


def test_staff_cannot_mix_another_merchants_branch_into_their_own_urls(testapp, dbsession,
                                                                       two_merchants):
    alice, mine, theirs = two_merchants
    sign_in_directly(testapp, dbsession, alice)
    their_branch = theirs.branches[0].id
    for url in (f"/merchant/{mine.id}/posters/{their_branch}",
                f"/merchant/{mine.id}/posters/{their_branch}/qr.svg",
                f"/merchant/{mine.id}/branches/{their_branch}/close"):
        response = testapp.get(url, status=404)
        assert "ボブ薬局" not in response.text


def test_staff_cannot_change_another_merchant(testapp, dbsession, two_merchants):
    alice, mine, theirs = two_merchants
    sign_in_directly(testapp, dbsession, alice)
    their_branch = theirs.branches[0]
    token = testapp.csrf_token()
    attempts = [
        (f"/merchant/{theirs.id}/posters", {"branch_id": their_branch.id}),
        (f"/merchant/{theirs.id}/branches", {"__formid__": f"branch-{their_branch.id}",
                                             "hours": "乗っ取り", "phone": "022-000-0000"}),
        (f"/merchant/{theirs.id}/staff", {"__formid__": "add", "email": "mallory@example.jp",
                                          "display_name": "x"}),
        (f"/merchant/{theirs.id}/branches", {
            "__formid__": "add-branch", "name": "乗っ取り店", "name_en": "",
            "postal_code": "980-0001", "address": "回覧板市1", "area": "chuo",
            "phone": "022-000-0000", "hours": ""}),
        (f"/merchant/{theirs.id}/branches/{their_branch.id}/close", {"__formid__": "close"}),
        # their branch id through my own merchant's pages
        (f"/merchant/{mine.id}/branches/{their_branch.id}/close", {"__formid__": "close"}),
        (f"/merchant/{mine.id}/posters", {"branch_id": their_branch.id}),
        (f"/merchant/{mine.id}/branches", {"__formid__": f"branch-{their_branch.id}",
                                           "hours": "乗っ取り", "phone": "022-000-0000"}),
    ]
    for url, params in attempts:
        response = testapp.post(url, {**params, "csrf_token": token}, status="*",
                                expect_errors=True)
        assert response.status_int in (400, 403, 404), url
        assert "ボブ薬局" not in response.text
    dbsession.expire_all()
    branch = dbsession.get(MerchantBranch, their_branch.id)
    assert branch.qr_version == 1 and branch.hours == "9:00〜21:00"
    assert branch.closed_at is None
    assert [b.id for b in dbsession.scalars(select(MerchantBranch).where(
        MerchantBranch.merchant_id == theirs.id))] == [their_branch.id]
    assert len(dbsession.scalars(select(MerchantStaff).where(
        MerchantStaff.merchant_id == theirs.id)).all()) == 1


def test_a_missing_merchant_is_refused_like_a_foreign_one(testapp, dbsession, two_merchants,
                                                          make_user):
    alice, _mine, _theirs = two_merchants
    sign_in_directly(testapp, dbsession, alice)
    testapp.get("/merchant/999999", status=403)
    testapp.get("/merchant/99999999999999999999", status="*", expect_errors=True)
    manager = make_user(email="boss@example.jp", roles=("Manager",))
    sign_in_directly(testapp, dbsession, manager)
    testapp.get("/merchant/999999", status=404)


def test_anonymous_visitors_are_sent_to_sign_in(testapp, two_merchants):
    _alice, mine, _theirs = two_merchants
    response = testapp.get(f"/merchant/{mine.id}", status=303)
    assert "/login" in response.headers["Location"]
    response = testapp.get("/manage/merchants/applications", status=303)
    assert "/login" in response.headers["Location"]


SCREENING_URLS = ("/manage/merchants/applications", "/manage/merchants")


def test_only_operators_and_managers_screen(testapp, dbsession, make_user, two_merchants):
    alice, mine, _theirs = two_merchants
    resident = make_user(email="resident@example.jp", roles=("Member",))
    for user in (resident, alice):
        sign_in_directly(testapp, dbsession, user)
        for url in (*SCREENING_URLS, f"/manage/merchants/{mine.id}",
                    "/manage/merchants/applications/1"):
            testapp.get(url, status=403)
        response = testapp.post(f"/manage/merchants/{mine.id}", {
            "csrf_token": testapp.csrf_token(), "__formid__": "status",
            "reason": "勝手に停止"}, status=403)
        assert "アリス商店" not in response.text
        # nor change the category or programmes (where points can be spent)
        response = testapp.post(f"/manage/merchants/{mine.id}", [
            ("csrf_token", testapp.csrf_token()), ("__formid__", "profile"),
            ("name", "アリス商店"), ("name_en", ""), ("category", "drugstore"),
            ("__start__", "programmes:sequence"), ("checkbox", "regional2025"),
            ("__end__", "programmes:sequence"), ("reason", "自分で変更")], status=403)
        assert "アリス商店" not in response.text
    dbsession.expire_all()
    assert mine.status == "active" and mine.category == "supermarket"
    for roles in (("Member", "Operator"), ("Manager",)):
        user = make_user(roles=roles)
        sign_in_directly(testapp, dbsession, user)
        for url in SCREENING_URLS:
            testapp.get(url, status=200)
        assert "アリス商店" in testapp.get(f"/manage/merchants/{mine.id}").text


def test_operators_cannot_enter_a_merchants_own_pages(testapp, dbsession, operator,
                                                      two_merchants):
    _alice, mine, _theirs = two_merchants
    sign_in_directly(testapp, dbsession, operator)
    testapp.get(f"/merchant/{mine.id}", status=403)


def test_signed_in_pages_are_not_cached(testapp, dbsession, two_merchants, operator):
    alice, mine, _theirs = two_merchants
    sign_in_directly(testapp, dbsession, alice)
    assert testapp.get(f"/merchant/{mine.id}").headers["Cache-Control"] == "no-store"
    sign_in_directly(testapp, dbsession, operator)
    assert "no-store" in testapp.get("/manage/merchants/applications").headers["Cache-Control"]
