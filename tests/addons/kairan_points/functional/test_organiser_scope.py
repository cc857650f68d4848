"""An activity organiser sees and prints only their own activities; another organiser's
activity (and its check-in code) is a 404 and the attempt is audited; operators and
managers see every activity. On both DBs."""

import pytest
from kairan_points.earning import services
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from kairan.testing import sign_in_directly
from tests.addons.kairan_points.conftest import verify_ok
from tests.addons.kairan_points.functional.test_checkin import make_activity


@pytest.fixture
def secret(registry):
    return registry.settings["kairan.secret"]


@pytest.fixture
def two_organisers(dbsession, programme, make_user):
    mine = make_user(email="mine@example.jp", roles=("Member", "ActivityOrganiser"))
    theirs = make_user(email="theirs@example.jp", roles=("Member", "ActivityOrganiser"))
    own = make_activity(dbsession, programme, title="自分の清掃活動", created_by=mine.id)
    other = make_activity(dbsession, programme, title="他人の防災訓練", created_by=theirs.id)
    return mine, theirs, own, other


def test_an_organiser_lists_only_their_own_activities(testapp, dbsession, two_organisers):
    mine, theirs, own, other = two_organisers
    sign_in_directly(testapp, dbsession, mine)
    page = testapp.get("/manage/points/activities")
    assert "自分の清掃活動" in page.text and "他人の防災訓練" not in page.text
    assert f"/manage/points/activities/{other.id}" not in page.text
    sign_in_directly(testapp, dbsession, theirs)
    page = testapp.get("/manage/points/activities")
    assert "他人の防災訓練" in page.text and "自分の清掃活動" not in page.text
    verify_ok(dbsession)


def test_another_organisers_activity_and_code_are_not_found(testapp, dbsession, secret,
                                                            two_organisers):
    mine, theirs, own, other = two_organisers
    sign_in_directly(testapp, dbsession, mine)
    page = testapp.get(f"/manage/points/activities/{other.id}", status=404)
    assert services.sign(secret, other.id) not in page.text and "他人の防災訓練" not in page.text
    dbsession.rollback()
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.activity.view")).one()
    assert (entry.outcome, entry.target, entry.actor_id) == (
        "denied", f"points-activity:{other.id}", mine.id)
    # their own prints as before
    own_page = testapp.get(f"/manage/points/activities/{own.id}")
    assert services.sign(secret, own.id) in own_page.text and "<svg" in own_page.text
    verify_ok(dbsession)


@pytest.mark.parametrize("role", ["Operator", "Manager"])
def test_operators_and_managers_see_every_activity(testapp, dbsession, make_user, secret,
                                                   two_organisers, role):
    mine, theirs, own, other = two_organisers
    staff = make_user(roles=("Member", role))
    sign_in_directly(testapp, dbsession, staff)
    page = testapp.get("/manage/points/activities")
    assert "自分の清掃活動" in page.text and "他人の防災訓練" in page.text
    for activity in (own, other):
        shown = testapp.get(f"/manage/points/activities/{activity.id}")
        assert services.sign(secret, activity.id) in shown.text
    verify_ok(dbsession)


def test_an_activity_without_an_organiser_is_for_operators_only(testapp, dbsession,
                                                                programme, make_user):
    """Activities made by the system (created_by None) belong to no organiser."""
    activity = make_activity(dbsession, programme, title="市の主催行事")
    organiser = make_user(roles=("Member", "ActivityOrganiser"))
    sign_in_directly(testapp, dbsession, organiser)
    assert "市の主催行事" not in testapp.get("/manage/points/activities").text
    testapp.get(f"/manage/points/activities/{activity.id}", status=404)
    verify_ok(dbsession)
