"""The merchant's own pages, the directory's search, exports, KPIs, personal data, the demo."""

import csv
import io
from datetime import timedelta

from kairan_merchants.models import MerchantApplication
from sqlalchemy import select

from kairan.accounts.models import User
from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant


def test_the_directory_searches_by_name_category_area_and_programme(testapp, dbsession):
    make_merchant(dbsession, name="回覧板マート", branch="回覧板マート 中央店")
    make_merchant(dbsession, name="あおば薬局", branch="あおば薬局 北店", category="drugstore",
                  area="kita", programmes=("community",))
    assert "あおば薬局 北店" in testapp.get("/shops").text
    assert "回覧板マート 中央店" in testapp.get("/shops").text
    only = testapp.get("/shops", {"category": "drugstore"}).text
    assert "あおば薬局 北店" in only and "回覧板マート 中央店" not in only
    only = testapp.get("/shops", {"area": "chuo"}).text
    assert "回覧板マート 中央店" in only and "あおば薬局 北店" not in only
    only = testapp.get("/shops", {"programme": "community"}).text
    assert "あおば薬局 北店" in only and "回覧板マート 中央店" not in only
    only = testapp.get("/shops", {"q": "あおば"}).text
    assert "あおば薬局 北店" in only and "回覧板マート 中央店" not in only
    assert "条件に合う店舗はありません。" in testapp.get("/shops", {"q": "100%_"}).text
    for bad in ({"category": "casino"}, {"area": "mars"}, {"page": "x"}, {"q": "あ" * 101}):
        response = testapp.get("/shops", bad, status=400)
        assert 'role="alert"' in response.text


def test_the_directory_in_english(testapp, dbsession):
    make_merchant(dbsession)
    testapp.set_cookie("kairan_locale", "en")
    page = testapp.get("/shops")
    assert "Shops that accept the city&#39;s points" in page.text or \
        "Shops that accept the city's points" in page.text
    assert "Central" in page.text and "Supermarket" in page.text
    branch_id = page.html.select("ul.merchant-list a")[0]["href"].rsplit("/", 1)[1]
    shop = testapp.get(f"/shops/{branch_id}")
    assert "Show on a map" in shop.text and 'lang="en"' in shop.text


def test_staff_edit_hours_and_manage_staff(testapp, dbsession, make_user, outbox):
    alice = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"),
                      display_name="アリス")
    merchant = make_merchant(dbsession, alice)
    branch = merchant.branches[0]
    sign_in_directly(testapp, dbsession, alice)
    page = testapp.get(f"/merchant/{merchant.id}/branches")
    form = page.forms[f"branch-{branch.id}"]
    form["hours"] = "10:00〜20:00（火曜定休）"
    form["phone"] = "022-999-0000"
    form.submit(status=303)
    form = testapp.get(f"/merchant/{merchant.id}/branches").forms[f"branch-{branch.id}"]
    form["phone"] = "12"
    assert "国内の電話番号" in form.submit(status=400).text
    dbsession.expire_all()
    assert branch.hours == "10:00〜20:00（火曜定休）" and branch.phone == "022-999-0000"
    assert "10:00〜20:00" in testapp.get(f"/shops/{branch.id}").text

    form = testapp.get(f"/merchant/{merchant.id}/staff").forms["add"]
    form["email"] = "Bob@Example.jp"
    form["display_name"] = "ボブ"
    form.submit(status=303)
    bob = dbsession.scalar(select(User).where(User.email == "bob@example.jp"))
    assert bob.password_hash is None and "MerchantStaff" in bob.role_names
    assert "/password-reset" in outbox("bob@example.jp")[-1].body
    form = testapp.get(f"/merchant/{merchant.id}/staff").forms["add"]
    form["email"] = "bob@example.jp"
    form["display_name"] = "ボブ"
    assert "すでにこの店舗のスタッフです" in form.submit(status=400).text
    page = testapp.get(f"/merchant/{merchant.id}/staff")
    remove = next(f for f in page.forms.values() if f.get("__formid__", default=None)
                  and f["__formid__"].value == "remove")
    remove.submit(status=303)
    dbsession.expire_all()
    assert "MerchantStaff" not in dbsession.get(User, bob.id).role_names
    # nobody removes themselves
    response = testapp.post(f"/merchant/{merchant.id}/staff", {
        "csrf_token": testapp.csrf_token(), "__formid__": "remove", "user_id": alice.id},
        status=400)
    assert "自分自身は削除できません。" in response.text


def test_exports_cover_every_table(testapp, dbsession, operator, make_user, registry):
    from kairan.export.services import registered_exporters

    alice = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"))
    make_merchant(dbsession, alice, name="=HYPERLINK(1)")
    names = {"merchant_applications", "merchant_application_events", "merchants",
             "merchant_branches", "merchant_staff", "merchant_events"}
    assert names <= set(registered_exporters(registry))
    sign_in_directly(testapp, dbsession, operator)
    for name in names:
        response = testapp.post("/manage/export/download", {
            "name": name, "format": "xlsx", "csrf_token": testapp.csrf_token()})
        assert response.status_int == 200
    body = testapp.post("/manage/export/download", {
        "name": "merchants", "format": "csv", "csrf_token": testapp.csrf_token()})
    rows = list(csv.reader(io.StringIO(body.body.decode("utf-8-sig"))))
    assert rows[1][3] == "'=HYPERLINK(1)"  # a formula is never a formula
    assert "link_hash" not in body.text


def test_kpis(testapp, dbsession, operator, registry):
    from kairan.kpi.services import registered_kpis

    make_merchant(dbsession)
    now = utcnow()
    dbsession.add(MerchantApplication(
        status="approved", legal_name="x", legal_name_key="x", trade_name="x", category="retail",
        programmes=[], contact_name="x", contact_email="x@example.jp", contact_phone="0222111111",
        branches=[], locale="ja", link_hash="a" * 64, link_expires=now, created=now,
        confirmed_at=now - timedelta(days=3), decided_at=now))
    dbsession.commit()
    kpis = registered_kpis(registry)
    for name in ("merchants.category.supermarket", "merchants.category.drugstore",
                 "merchants.area.chuo", "merchants.applications.received",
                 "merchants.applications.approved", "merchants.applications.rejected",
                 "merchants.applications.waiting",
                 "merchants.applications.days_to_decision"):
        assert name in kpis
    sign_in_directly(testapp, dbsession, operator)
    from kairan.kpi.services import month_of

    month = month_of(now)
    response = testapp.get("/manage/kpi/merchants.category.supermarket.csv",
                           {"start": month, "end": month})
    assert response.body.decode("utf-8-sig").splitlines()[1] == f"{month},1"
    response = testapp.get("/manage/kpi/merchants.applications.days_to_decision.csv",
                           {"start": month, "end": month})
    assert response.body.decode("utf-8-sig").splitlines()[1] == f"{month},3.0"
    assert "加盟店数：スーパーマーケット" in testapp.get("/manage/kpi").text


def test_personal_data_holds_staff_links_and_applications(testapp, dbsession, make_user):
    alice = make_user(email="alice@example.jp", roles=("Member", "MerchantStaff"))
    merchant = make_merchant(dbsession, alice)
    sign_in_directly(testapp, dbsession, alice)
    data = testapp.post("/account/my-data.json", {"csrf_token": testapp.csrf_token()}).json
    assert data["merchants"]["staff_of"][0]["merchant_id"] == merchant.id


def test_the_demo_loader_adds_the_shops_once(dbsession, registry):
    from datetime import date

    from kairan_merchants.models import Merchant

    from kairan.demo.services import load_demo, run_demo_loaders

    load_demo(dbsession, registry.settings)
    dbsession.flush()
    lines = run_demo_loaders(dbsession, registry, today=date(2025, 4, 1))
    dbsession.commit()
    assert any("shop@example.jp / kairan-demo-omise-2025" in line for line in lines)
    categories = set(dbsession.scalars(select(Merchant.category)))
    assert {"supermarket", "convenience_store", "drugstore", "restaurant"} <= categories
    # a second run creates nothing and only prints the staff account again
    assert [line for line in run_demo_loaders(dbsession, registry, today=date(2025, 4, 1))
            if not line.startswith("merchant staff:")] == []
    dbsession.commit()
    assert len(dbsession.scalars(select(Merchant)).all()) == 4
