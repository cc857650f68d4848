"""After approval: staff add and close shops, operators change the registration (name,
English name, category, programmes) with a reason; branches' English names."""

import pytest
from kairan_merchants.interfaces import IMerchantDirectory
from kairan_merchants.models import Merchant, MerchantBranch, MerchantEvent
from kairan_merchants.services import branch_payload
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant


@pytest.fixture
def alice(make_user):
    return make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"),
                     display_name="アリス")


def _branch_count(dbsession, merchant_id):
    return dbsession.scalar(select(func.count()).select_from(MerchantBranch)
                            .where(MerchantBranch.merchant_id == merchant_id))


def _add_form(testapp, merchant, **values):
    form = testapp.get(f"/merchant/{merchant.id}/branches").forms["add-branch"]
    fields = {"name": "アリス商店 駅前店", "name_en": "Alice Shop Station",
              "postal_code": "９８０−０００２", "address": "回覧板市駅前2-2", "area": "chuo",
              "phone": "022-211-2222", "hours": "10:00〜19:00"}
    fields.update(values)
    for key, value in fields.items():
        form[key] = value
    return form


def test_staff_add_a_shop_with_its_own_code(testapp, dbsession, alice, registry, app_request):
    merchant = make_merchant(dbsession, alice, name="アリス商店", branch="アリス商店 本店")
    sign_in_directly(testapp, dbsession, alice)
    _add_form(testapp, merchant).submit(status=303)
    page = testapp.get(f"/merchant/{merchant.id}/branches")
    assert "アリス商店 駅前店を追加しました" in page.text
    dbsession.expire_all()
    branch = dbsession.scalars(select(MerchantBranch).where(
        MerchantBranch.name == "アリス商店 駅前店")).one()
    assert (branch.merchant_id, branch.name_en, branch.postal_code, branch.qr_version,
            branch.closed_at) == (merchant.id, "Alice Shop Station", "980-0002", 1, None)
    assert dbsession.scalars(select(MerchantEvent.kind).where(
        MerchantEvent.merchant_id == merchant.id)).all()[-1] == "branch_added"
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "merchants.branch_add",
        AuditEntry.target == f"merchant_branch:{branch.id}")).one()
    # its poster and a code that takes payments
    testapp.get(f"/merchant/{merchant.id}/posters/{branch.id}", status=200)
    directory = registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(app_request, branch_payload(registry.settings, branch))
    assert scan.branch.id == branch.id and scan.can_take_payments
    assert "アリス商店 駅前店" in testapp.get("/shops").text


@pytest.mark.parametrize("field, value, message", [
    ("postal_code", "98-0002", "郵便番号"),
    ("phone", "12345", "電話番号"),
    ("name", "", "必須"),
    ("area", "mars", None),
    ("name", "アリス商店 本店", "同じ名前の営業中の店舗がすでにあります。"),
])
def test_a_bad_new_shop_is_refused_and_nothing_added(testapp, dbsession, alice, field, value,
                                                     message):
    merchant = make_merchant(dbsession, alice, name="アリス商店", branch="アリス商店 本店")
    sign_in_directly(testapp, dbsession, alice)
    form = _add_form(testapp, merchant)
    if field == "area":
        form["area"].force_value(value)
    else:
        form[field] = value
    response = form.submit(status=400)
    assert 'role="alert"' in response.text or "error" in response.text
    if message:
        assert message in response.text
    assert _branch_count(dbsession, merchant.id) == 1


def test_a_suspended_merchant_cannot_add_shops(testapp, dbsession, alice):
    merchant = make_merchant(dbsession, alice)
    merchant.status = "suspended"
    merchant.status_reason = "調査中"
    dbsession.commit()
    sign_in_directly(testapp, dbsession, alice)
    page = testapp.get(f"/merchant/{merchant.id}/branches")
    assert "add-branch" not in page.forms
    response = testapp.post(f"/merchant/{merchant.id}/branches", [
        ("csrf_token", testapp.csrf_token()), ("__formid__", "add-branch"),
        ("name", "新店"), ("name_en", ""), ("postal_code", "980-0002"), ("address", "回覧板市1"),
        ("area", "chuo"), ("phone", "022-211-2222"), ("hours", "")], status=400)
    assert "利用停止中の店舗は店舗を追加できません" in response.text
    assert _branch_count(dbsession, merchant.id) == 1


def _two_shop_merchant(dbsession, alice):
    merchant = make_merchant(dbsession, alice, name="アリス商店", branch="アリス商店 本店")
    merchant.branches.append(MerchantBranch(
        name="アリス商店 北店", name_en="Alice Shop North", postal_code="980-0003",
        address="回覧板市北1-1", area="chuo", phone="022-211-3333", hours="", qr_version=1,
        created=utcnow()))
    dbsession.commit()
    return merchant, merchant.branches[1]


def test_closing_a_shop(testapp, dbsession, alice, registry, app_request):
    merchant, north = _two_shop_merchant(dbsession, alice)
    payload = branch_payload(registry.settings, north)
    sign_in_directly(testapp, dbsession, alice)
    close_url = f"/merchant/{merchant.id}/branches/{north.id}/close"
    assert close_url in testapp.get(f"/merchant/{merchant.id}/branches").text
    # the confirmation page changes nothing
    confirm = testapp.get(close_url)
    assert "閉店は取り消せません" in confirm.text
    dbsession.expire_all()
    assert dbsession.get(MerchantBranch, north.id).closed_at is None
    # without the CSRF token: refused, nothing changed
    testapp.post(close_url, {"__formid__": "close"}, status="*", expect_errors=True)
    dbsession.expire_all()
    assert dbsession.get(MerchantBranch, north.id).closed_at is None

    testapp.get(close_url).forms["close"].submit(status=303)
    dbsession.expire_all()
    branch = dbsession.get(MerchantBranch, north.id)
    assert branch.closed_at is not None and branch.closed_by_id == alice.id
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "merchants.branch_close",
        AuditEntry.target == f"merchant_branch:{north.id}")).one()
    page = testapp.get(f"/merchant/{merchant.id}/branches")
    assert "閉店した店舗" in page.text and f"branch-{north.id}" not in page.forms
    # out of the directory, its page and poster gone, its code takes no payments
    assert "アリス商店 北店" not in testapp.get("/shops").text
    assert "アリス商店 本店" in testapp.get("/shops").text
    testapp.get(f"/shops/{north.id}", status=404)
    assert "アリス商店 北店" not in testapp.get(f"/shops/{merchant.branches[0].id}").text
    testapp.get(f"/merchant/{merchant.id}/posters/{north.id}", status=404)
    testapp.get(f"/merchant/{merchant.id}/posters/{north.id}/qr.svg", status=404)
    assert "アリス商店 北店" not in testapp.get(f"/merchant/{merchant.id}/posters").text
    testapp.post(f"/merchant/{merchant.id}/posters",
                 {"csrf_token": testapp.csrf_token(), "branch_id": north.id}, status=400)
    directory = registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(app_request, payload)
    assert scan is not None and scan.branch.closed and not scan.can_take_payments
    assert directory.get_branch(app_request, north.id).closed  # still there for payments
    # closing twice is refused
    testapp.post(close_url, {"csrf_token": testapp.csrf_token(), "__formid__": "close"},
                 status=404)


def test_the_points_add_on_refuses_a_payment_at_a_closed_shop(dbsession, alice, registry,
                                                              app_request):
    pytest.importorskip("kairan_points")
    from kairan_points.payments.services import PaymentRefused, check_payable

    merchant, north = _two_shop_merchant(dbsession, alice)
    north.closed_at = utcnow()
    dbsession.commit()
    scan = registry.getUtility(IMerchantDirectory).verify_payload(
        app_request, branch_payload(registry.settings, north))
    with pytest.raises(PaymentRefused) as refused:
        check_payable(scan, None, utcnow())
    assert "This shop has closed" in str(refused.value.message)


def test_the_last_open_shop_cannot_be_closed(testapp, dbsession, alice):
    merchant = make_merchant(dbsession, alice)
    branch = merchant.branches[0]
    sign_in_directly(testapp, dbsession, alice)
    page = testapp.get(f"/merchant/{merchant.id}/branches")
    assert "/close" not in page.text
    response = testapp.post(f"/merchant/{merchant.id}/branches/{branch.id}/close",
                            {"csrf_token": testapp.csrf_token(), "__formid__": "close"},
                            status=400)
    assert "営業中の店舗がこの店舗だけのため" in response.text
    dbsession.expire_all()
    assert dbsession.get(MerchantBranch, branch.id).closed_at is None


def test_branch_names_in_english_fall_back_to_japanese(testapp, dbsession, alice):
    merchant, north = _two_shop_merchant(dbsession, alice)
    main = merchant.branches[0]
    testapp.set_cookie("kairan_locale", "en")
    directory = testapp.get("/shops")
    names = [a.text.strip() for a in directory.html.select("ul.merchant-list a")]
    assert "Alice Shop North" in names and "アリス商店 本店" in names
    assert "アリス商店 北店" not in directory.text
    shop = testapp.get(f"/shops/{north.id}")
    assert "<h1>Alice Shop North</h1>" in shop.text
    assert "アリス商店 本店" in shop.text  # the other branch, no English name: Japanese
    assert "Alice Shop North" in testapp.get(f"/shops/{main.id}").text
    # searching by the English name finds it
    assert "Alice Shop North" in testapp.get("/shops", {"q": "shop north"}).text
    # in Japanese: the Japanese name
    testapp.set_cookie("kairan_locale", "ja")
    assert "アリス商店 北店" in testapp.get(f"/shops/{north.id}").text


def test_staff_set_a_shops_english_name(testapp, dbsession, alice):
    merchant = make_merchant(dbsession, alice)
    branch = merchant.branches[0]
    sign_in_directly(testapp, dbsession, alice)
    form = testapp.get(f"/merchant/{merchant.id}/branches").forms[f"branch-{branch.id}"]
    form["name_en"] = "Kairan Mart Chuo"
    form.submit(status=303)
    dbsession.expire_all()
    assert dbsession.get(MerchantBranch, branch.id).name_en == "Kairan Mart Chuo"


# -- operators change the registration ------------------------------------------------

def _profile_params(testapp, name="アリス商店", name_en="", category="supermarket",
                    programmes=("regional2025",), reason="業種の登録誤りを訂正"):
    params = [("csrf_token", testapp.csrf_token()), ("_charset_", "UTF-8"),
              ("__formid__", "profile"), ("name", name), ("name_en", name_en),
              ("category", category), ("__start__", "programmes:sequence")]
    params += [("checkbox", p) for p in programmes]
    params += [("__end__", "programmes:sequence"), ("reason", reason), ("submit", "submit")]
    return params


def _programme_codes(registry):
    return [p.code for p in registry.settings["kairan.merchants.programme_list"]]


def test_an_operator_changes_the_registration(testapp, dbsession, alice, operator, outbox,
                                              registry):
    merchant = make_merchant(dbsession, alice, name="アリス商店")
    codes = _programme_codes(registry)
    sign_in_directly(testapp, dbsession, operator)
    page = testapp.get(f"/manage/merchants/{merchant.id}")
    assert "profile" in page.forms and page.forms["profile"]["name"].value == "アリス商店"
    testapp.post(f"/manage/merchants/{merchant.id}", _profile_params(
        testapp, name="アリス薬局", name_en="Alice Pharmacy", category="drugstore",
        programmes=codes), status=303)
    dbsession.expire_all()
    changed = dbsession.get(Merchant, merchant.id)
    assert (changed.name, changed.name_en, changed.category, sorted(changed.programmes)) == \
        ("アリス薬局", "Alice Pharmacy", "drugstore", sorted(codes))
    event = dbsession.scalars(select(MerchantEvent).where(
        MerchantEvent.merchant_id == merchant.id)).all()[-1]
    assert event.kind == "profile_changed" and event.actor_id == operator.id
    assert "業種の登録誤りを訂正" in event.text and "supermarket → drugstore" in event.text
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "merchants.profile_change")).one()
    assert entry.target == f"merchant:{merchant.id}" and entry.actor_id == operator.id
    mails = outbox("alice@example.jp")
    assert mails and "業種の登録誤りを訂正" in mails[-1].body
    history = testapp.get(f"/manage/merchants/{merchant.id}")
    assert "登録内容を変更" in history.text and "業種の登録誤りを訂正" in history.text


@pytest.mark.parametrize("overrides, message", [
    ({"reason": ""}, None),
    ({"category": "casino"}, None),
    ({"programmes": ()}, None),
    ({"programmes": ("nowhere",)}, None),
    ({"name": ""}, None),
    ({}, "変更はありません"),
])
def test_a_bad_registration_change_is_refused(testapp, dbsession, alice, operator, overrides,
                                              message):
    merchant = make_merchant(dbsession, alice, name="アリス商店")
    sign_in_directly(testapp, dbsession, operator)
    testapp.get(f"/manage/merchants/{merchant.id}")
    values = {"category": "drugstore"} if message is None else {}
    values.update(overrides)
    response = testapp.post(f"/manage/merchants/{merchant.id}",
                            _profile_params(testapp, **values), status=400)
    assert "error" in response.text or 'role="alert"' in response.text
    if message:
        assert message in response.text
    dbsession.expire_all()
    same = dbsession.get(Merchant, merchant.id)
    assert (same.name, same.category, same.programmes) == \
        ("アリス商店", "supermarket", ["regional2025"])
    assert dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "merchants.profile_change")).first() is None


def test_staff_cannot_change_their_own_registration(testapp, dbsession, alice):
    merchant = make_merchant(dbsession, alice, name="アリス商店")
    sign_in_directly(testapp, dbsession, alice)
    testapp.post(f"/manage/merchants/{merchant.id}",
                 _profile_params(testapp, category="drugstore"), status=403)
    # and their own pages have no form for it
    assert 'name="category"' not in testapp.get(f"/merchant/{merchant.id}").text
    dbsession.expire_all()
    assert dbsession.get(Merchant, merchant.id).category == "supermarket"


def test_pages_with_several_forms_keep_their_ids_unique(testapp, dbsession, alice, operator):
    """Each label's ``for`` must name its own field: forms on one page share an id counter."""
    merchant, _north = _two_shop_merchant(dbsession, alice)
    sign_in_directly(testapp, dbsession, alice)
    pages = [testapp.get(f"/merchant/{merchant.id}/branches")]
    sign_in_directly(testapp, dbsession, operator)
    pages.append(testapp.get(f"/manage/merchants/{merchant.id}"))
    for page in pages:
        ids = [tag["id"] for tag in page.html.select("[id]")]
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        for label in page.html.select("main label[for]"):
            assert page.html.find(id=label["for"]) is not None, label
