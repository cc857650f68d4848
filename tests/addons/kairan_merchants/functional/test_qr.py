"""Scanned codes through ``IMerchantDirectory``: forged, tampered and rotated codes refused."""

import base64

import pytest
from kairan_merchants import qr
from kairan_merchants.interfaces import IMerchantDirectory

from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant


@pytest.fixture
def directory(registry):
    return registry.getUtility(IMerchantDirectory)


def test_a_valid_code_names_its_branch_and_merchant(directory, app_request, dbsession):
    merchant = make_merchant(dbsession)
    branch = merchant.branches[0]
    payload = directory.payload_for(app_request, branch.id)
    assert len(payload) < 60
    scan = directory.verify_payload(app_request, payload)
    assert scan.branch.id == branch.id and scan.merchant.id == merchant.id
    assert scan.can_take_payments is True
    assert scan.merchant.programmes == ("regional2025",)


def test_forged_and_tampered_codes_are_refused(directory, app_request, dbsession, registry):
    mine = make_merchant(dbsession)
    theirs = make_merchant(dbsession, name="ボブ薬局", branch="ボブ薬局 駅前店")
    payload = directory.payload_for(app_request, mine.branches[0].id)
    scheme, _branch, version, signature = payload.split(".")
    # another branch's id with my signature
    tampered = f"{scheme}.{theirs.branches[0].id}.{version}.{signature}"
    assert directory.verify_payload(app_request, tampered) is None
    # a later version with the same signature
    assert directory.verify_payload(app_request, f"{scheme}.{_branch}.2.{signature}") is None
    # one character of the signature changed
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert directory.verify_payload(app_request, f"{scheme}.{_branch}.{version}.{flipped}") is None
    # signed with another site's secret
    forged = qr.sign("someone-elses-secret", theirs.branches[0].id, 1)
    assert directory.verify_payload(app_request, forged) is None
    # signed with kairan.secret itself instead of the derived key
    import hashlib
    import hmac

    raw = hmac.new(registry.settings["kairan.secret"].encode(),
                   f"KM1.{theirs.branches[0].id}.1".encode(), hashlib.sha256).digest()[:16]
    naive = f"KM1.{theirs.branches[0].id}.1." + base64.urlsafe_b64encode(raw).rstrip(
        b"=").decode()
    assert directory.verify_payload(app_request, naive) is None


@pytest.mark.parametrize("garbage", [None, "", "KM1", "KM1.1.1", "KM1.a.b.c", "x" * 10_000,
                                     "KM1.0.1.AAAAAAAAAAAAAAAAAAAAAA", 12, b"KM1.1.1.x",
                                     "KM1.99999999999.1.AAAAAAAAAAAAAAAAAAAAAA"])
def test_garbage_is_refused_without_error(directory, app_request, garbage):
    assert directory.verify_payload(app_request, garbage) is None


def test_a_code_for_a_branch_that_does_not_exist(directory, app_request, registry):
    payload = qr.sign(registry.settings["kairan.secret"], 424242, 1)
    assert directory.verify_payload(app_request, payload) is None


def test_rotation_invalidates_the_old_code(testapp, dbsession, make_user, directory, app_request):
    staff = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"))
    merchant = make_merchant(dbsession, staff)
    branch = merchant.branches[0]
    old = directory.payload_for(app_request, branch.id)
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.get(f"/merchant/{merchant.id}/posters")
    form = next(f for f in page.forms.values() if "branch_id" in f.fields)
    form.submit(status=303)
    dbsession.expire_all()
    new = directory.payload_for(app_request, branch.id)
    assert new != old
    assert directory.verify_payload(app_request, old) is None
    assert directory.verify_payload(app_request, new).branch.qr_version == 2
    poster = testapp.get(f"/merchant/{merchant.id}/posters/{branch.id}")
    assert f"{branch.id}-2" in poster.text


def test_the_directory_lookups(directory, app_request, dbsession, make_user):
    staff = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"))
    merchant = make_merchant(dbsession, staff)
    assert directory.get_merchant(app_request, merchant.id).name == "回覧板マート"
    assert directory.get_merchant(app_request, 999) is None
    assert directory.get_merchant(app_request, "1") is None
    assert directory.get_branch(app_request, merchant.branches[0].id).area == "chuo"
    assert [b.id for b in directory.branches_of(app_request, merchant.id)] == [
        merchant.branches[0].id]
    assert [m.id for m in directory.merchants_of_user(app_request, staff.id)] == [merchant.id]
    assert directory.is_staff(app_request, merchant.id, staff.id)
    assert not directory.is_staff(app_request, merchant.id, staff.id + 1)
    codes = [code for code, _title in directory.categories(app_request)]
    assert codes[:3] == ["supermarket", "convenience_store", "drugstore"]
    assert [c for c, _t in directory.programmes(app_request)] == ["regional2025", "community"]
    context = directory.context_for(app_request, merchant.id)
    assert context.merchant.id == merchant.id
    assert directory.context_for(app_request, 12345).merchant is None
