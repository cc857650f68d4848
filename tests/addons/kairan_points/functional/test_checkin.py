"""Community activities: organisers create them and print their codes; residents check in
once per activity within its window; the award comes through the rules engine."""

import re
import threading
from datetime import timedelta

import pytest
from kairan_points import ledger
from kairan_points.earning import services
from kairan_points.earning.models import Activity, Award, CheckIn
from kairan_points.models import Transfer
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.db.meta import utcnow
from kairan.testing import sign_in_directly
from tests.addons.kairan_points.conftest import verify_ok

CODE_RE = re.compile(r"KA1\.\d+\.[A-Za-z0-9_-]{22}")


@pytest.fixture
def organiser(make_user):
    return make_user(email="organiser@example.jp", roles=("Member", "ActivityOrganiser"))


@pytest.fixture
def secret(registry):
    return registry.settings["kairan.secret"]


def make_activity(dbsession, programme, points=300, opens=-1, closes=1, title="清掃活動",
                  created_by=None):
    now = utcnow()
    activity = services.create_activity(dbsession, {
        "title": title, "title_en": "Beach clean-up", "place": "閖上海岸",
        "starts_at": now + timedelta(hours=opens), "ends_at": now + timedelta(hours=closes),
        "programme_id": programme.id, "points": points}, created_by=created_by)
    dbsession.commit()
    return activity


def count(dbsession, model):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(model))


def balance(dbsession, programme, user):
    dbsession.expire_all()
    wallet = ledger.wallet_account(dbsession, programme.id, user.id, create=False)
    return 0 if wallet is None else wallet.balance


def check_in(testapp, code, status):
    return testapp.post_form("/points/checkin", {"code": code}, status=status)


def test_an_organiser_creates_an_activity_and_prints_its_code(testapp, dbsession, organiser,
                                                              programme):
    sign_in_directly(testapp, dbsession, organiser)
    form = testapp.get("/manage/points/activities/new")
    assert "Points for taking part" in form.text or "参加で得られるポイント" in form.text
    response = testapp.post_form("/manage/points/activities/new", {
        "title": "防災訓練", "title_en": "Disaster drill", "place": "市民センター",
        "day": "2025-09-01", "start": "09:00", "end": "11:30",
        "programme": str(programme.id), "points": "500"}, status=303)
    activity = dbsession.scalars(select(Activity)).one()
    assert response.headers["Location"].endswith(f"/manage/points/activities/{activity.id}")
    # 09:00 JST is 00:00 UTC
    assert activity.starts_at.isoformat() == "2025-09-01T00:00:00+00:00"
    assert activity.ends_at.isoformat() == "2025-09-01T02:30:00+00:00"
    assert activity.created_by == organiser.id and activity.points == 500
    page = testapp.get(f"/manage/points/activities/{activity.id}")
    assert "<svg" in page.text and "防災訓練" in page.text
    assert "2025-09-01 09:00 – 11:30" in page.text
    assert CODE_RE.search(page.text).group(0) == services.sign(
        testapp.app.registry.settings["kairan.secret"], activity.id)
    assert "防災訓練" in testapp.get("/manage/points/activities").text
    entry = dbsession.scalars(select(AuditEntry)
                              .where(AuditEntry.action == "points.activity.create")).one()
    assert entry.actor_id == organiser.id


def test_bad_activity_input_is_refused_and_nothing_is_created(testapp, dbsession, organiser,
                                                              programme):
    sign_in_directly(testapp, dbsession, organiser)
    good = {"title": "防災訓練", "place": "市民センター", "day": "2025-09-01",
            "start": "09:00", "end": "11:30", "programme": str(programme.id), "points": "500"}
    for bad in ({"end": "08:00"}, {"start": "25:00"}, {"points": "-5"}, {"points": "1.5"},
                {"programme": "999999"}, {"day": "2025-02-30"}, {"title": ""}):
        response = testapp.post_form("/manage/points/activities/new", good | bad, status=400)
        assert "error" in response.text
    assert count(dbsession, Activity) == 0


def test_a_resident_checks_in_once_and_earns_the_points(testapp, dbsession, programme,
                                                        make_user, secret):
    resident = make_user()
    activity = make_activity(dbsession, programme)
    code = services.sign(secret, activity.id)
    sign_in_directly(testapp, dbsession, resident)
    # the printed link opens the form with the code filled in, writing nothing
    form = testapp.get(f"/points/checkin?code={code}")
    assert code in form.text
    assert count(dbsession, CheckIn) == 0
    response = check_in(testapp, f"  {code} ", 303)
    assert response.headers["Location"].endswith("/points")
    wallet = testapp.get("/points")
    assert "300" in wallet.text and "清掃活動" in wallet.text
    # again: refused with a clear message, nothing more paid
    again = check_in(testapp, code, 409)
    assert 'role="alert"' in again.text
    assert "既にチェックイン" in again.text
    assert balance(dbsession, programme, resident) == 300
    assert count(dbsession, CheckIn) == 1 and count(dbsession, Award) == 1
    award = dbsession.scalars(select(Award)).one()
    assert award.rule == "community-activity" and award.user_id == resident.id
    assert award.event_key == f"activity:{activity.id}:user:{resident.id}"
    actions = set(dbsession.scalars(select(AuditEntry.action)))
    assert {"points.checkin", "points.earn"} <= actions
    verify_ok(dbsession)


def test_the_printed_link_works_as_a_code_too(testapp, dbsession, programme, make_user,
                                              secret):
    resident = make_user()
    activity = make_activity(dbsession, programme, points=20)
    sign_in_directly(testapp, dbsession, resident)
    link = f"http://localhost:6543/points/checkin?code={services.sign(secret, activity.id)}"
    check_in(testapp, link, 303)
    assert balance(dbsession, programme, resident) == 20
    verify_ok(dbsession)


def test_bad_codes_and_closed_windows_are_refused_and_change_nothing(
        testapp, dbsession, programme, make_user, secret):
    resident = make_user()
    open_now = make_activity(dbsession, programme)
    later = make_activity(dbsession, programme, opens=2, closes=4)
    over = make_activity(dbsession, programme, opens=-4, closes=-2)
    good = services.sign(secret, open_now.id)
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    other_key = services.sign("not-the-site-secret", open_now.id)
    swapped = f"KA1.{later.id}.{good.rsplit('.', 1)[1]}"
    sign_in_directly(testapp, dbsession, resident)
    cases = [
        (forged, "コードが正しくありません"),
        (other_key, "コードが正しくありません"),
        (swapped, "コードが正しくありません"),
        ("KA1.1.short", "コードが正しくありません"),
        ("hello", "コードが正しくありません"),
        ("x" * 600, "500"),
        (services.sign(secret, 999_999), "このコードの活動はありません"),
        (services.sign(secret, later.id), "受付開始"),
        (services.sign(secret, over.id), "受付は終了しました"),
    ]
    for code, message in cases:
        response = check_in(testapp, code, 400)
        assert 'role="alert"' in response.text or "error" in response.text
        assert message in response.text, code
    assert count(dbsession, CheckIn) == 0 and count(dbsession, Transfer) == 0
    assert balance(dbsession, programme, resident) == 0
    denied = dbsession.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert len(denied) == 8  # every refusal past the form's own validation is on record
    assert all(code not in str(entry.detail) for entry in denied for code, _m in cases)
    verify_ok(dbsession)


def test_checking_in_needs_a_signed_in_resident(testapp, dbsession, programme, secret):
    activity = make_activity(dbsession, programme)
    response = testapp.get(f"/points/checkin?code={services.sign(secret, activity.id)}")
    assert response.status_int in (302, 303)
    assert "/login" in response.headers["Location"]
    assert count(dbsession, CheckIn) == 0


def test_residents_cannot_organise_and_organisers_cannot_see_wallets(
        testapp, dbsession, programme, make_user, organiser):
    resident = make_user()
    # the organiser's own (another organiser's is a 404: test_organiser_scope.py)
    activity = make_activity(dbsession, programme, created_by=organiser.id)
    sign_in_directly(testapp, dbsession, resident)
    for url in ("/manage/points/activities", "/manage/points/activities/new",
                f"/manage/points/activities/{activity.id}"):
        testapp.get(url, status=403)
    testapp.post_form("/manage/points/activities/new", {
        "title": "偽の活動", "place": "x", "day": "2025-09-01", "start": "09:00",
        "end": "10:00", "programme": str(programme.id), "points": "99999"}, status=403)
    assert count(dbsession, Activity) == 1
    testapp.logout()
    sign_in_directly(testapp, dbsession, organiser)
    testapp.get(f"/manage/points/activities/{activity.id}", status=200)
    for url in ("/manage/points", "/manage/points/grant", "/manage/points/approvals"):
        testapp.get(url, status=403)
    testapp.get("/manage/points/activities/999999", status=404)


@pytest.mark.parametrize("role", ["Operator", "Manager"])
def test_operators_and_managers_may_organise(testapp, dbsession, make_user, role):
    staff = make_user(roles=("Member", role))
    sign_in_directly(testapp, dbsession, staff)
    testapp.get("/manage/points/activities/new", status=200)


@pytest.mark.postgres_only
def test_twenty_concurrent_check_ins_by_one_person_pay_once(dbsession, engine, registry,
                                                            programme, make_user, secret):
    from kairan_points.errors import PointsRefused
    from kairan_points.services import run_in_transaction
    from sqlalchemy.orm import sessionmaker

    resident = make_user()
    activity = make_activity(dbsession, programme, points=250)
    code = services.sign(secret, activity.id)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(20)
    outcomes = []

    def one():
        barrier.wait()
        try:
            run_in_transaction(factory, lambda s: services.check_in(
                s, registry, secret, resident.id, code), attempts=20)
            outcomes.append("in")
        except PointsRefused as error:
            outcomes.append(error.status)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [409] * 19 + ["in"]
    assert count(dbsession, CheckIn) == 1 and count(dbsession, Award) == 1
    assert balance(dbsession, programme, resident) == 250
    verify_ok(dbsession)


def test_the_account_page_links_to_check_in_and_exporters_list_the_tables(
        testapp, dbsession, programme, make_user, secret, registry):
    from types import SimpleNamespace

    from kairan_points.earning.exporters import EXPORTERS

    from kairan.export.services import registered_exporters

    resident = make_user()
    activity = make_activity(dbsession, programme, points=40)
    sign_in_directly(testapp, dbsession, resident)
    profile = testapp.get("/account")
    assert 'href="/points/checkin"' in profile.text
    check_in(testapp, services.sign(secret, activity.id), 303)
    request = SimpleNamespace(dbsession=dbsession)
    rows = {exporter.name: list(exporter.rows(request)) for exporter in EXPORTERS}
    assert set(rows) <= set(registered_exporters(registry))
    assert [r[4] for r in rows["points_awards"]] == [resident.id]
    assert [r[0] for r in rows["points_activities"]] == [activity.id]
    assert [(r[1], r[2]) for r in rows["points_checkins"]] == [(activity.id, resident.id)]
    assert rows["points_reminders"] == []
    for exporter in EXPORTERS:
        assert len(exporter.columns(request)) == len(
            next(iter(rows[exporter.name]), exporter.columns(request)))
    # "download my data": the resident's own check-ins and awards, nobody else's
    from kairan_points.earning.providers import EarningData

    data = EarningData().export(request, resident)
    assert [c["activity"] for c in data["checkins"]] == ["清掃活動"]
    assert [(a["points"], a["status"]) for a in data["awards"]] == [(40, "awarded")]
    assert EarningData().export(request, make_user()) == {
        "checkins": [], "awards": [], "expiry_reminders": []}
    from kairan.accounts.interfaces import IPersonalDataProvider

    registered = registry.getUtility(IPersonalDataProvider, name="points_earning")
    assert registered.export(request, resident) == data
    verify_ok(dbsession)


def form_with(page, field):
    """The page's form that has ``field`` (the header has a sign-out form too)."""
    return next(form for form in page.forms.values() if field in form.fields)


def test_the_rendered_forms_carry_their_csrf_token(testapp, dbsession, programme, organiser,
                                                   make_user, secret):
    """The activity and check-in forms submitted as a browser would, with only the
    fields the page rendered."""
    sign_in_directly(testapp, dbsession, organiser)
    form = form_with(testapp.get("/manage/points/activities/new"), "place")
    assert form["csrf_token"].value == testapp.csrf_token()
    for name, value in {"title": "防災訓練", "place": "市民センター", "day": "2025-09-01",
                        "start": "09:00", "end": "11:30", "programme": str(programme.id),
                        "points": "500"}.items():
        form[name] = value
    form.submit(status=303)
    assert count(dbsession, Activity) == 1
    resident = make_user()
    sign_in_directly(testapp, dbsession, resident)
    activity = make_activity(dbsession, programme, points=120)
    form = form_with(testapp.get("/points/checkin"), "code")
    form["code"] = services.sign(secret, activity.id)
    form.submit(status=303)
    assert balance(dbsession, programme, resident) == 120
    verify_ok(dbsession)
