"""Closing a settlement month is the protected action ``points.settle`` (level 2): an
operator signed in with a password alone is sent to the step-up and nothing is closed;
at level 2 the month closes. On both DBs."""

from datetime import UTC, date, datetime

from kairan_merchants.interfaces import IMerchantDirectory
from kairan_points import services
from kairan_points.payments import services as payments
from sqlalchemy import func, select

from kairan.audit.models import AuditEntry
from kairan.security.assurance import assurance_action
from kairan.testing import sign_in_directly
from tests.addons.kairan_merchants.functional.helpers import make_merchant
from tests.addons.kairan_points.conftest import key, sign_in_at_level, verify_ok


def a_paid_january(dbsession, registry, app_request, make_programme, make_user):
    programme = make_programme(code="regional2025", spend_from=date(2024, 12, 1),
                               spend_until=date(2025, 12, 31), expires_on=date(2026, 6, 1),
                               categories=[])
    shop = make_merchant(dbsession)
    resident = make_user()
    services.grant(dbsession, programme, resident.id, 5_000, "welcome", actor_id=None,
                   idempotency_key=key(), now=datetime(2024, 12, 1, tzinfo=UTC))
    directory = registry.getUtility(IMerchantDirectory)
    scan = directory.verify_payload(app_request, directory.payload_for(
        app_request, shop.branches[0].id))
    payments.pay(dbsession, user_id=resident.id, scan=scan, programme=programme,
                 amount=1_234, idempotency_key=key() + "-0123456789", max_payment=100_000,
                 now=datetime(2025, 1, 15, tzinfo=UTC))
    dbsession.commit()


def closed_months(dbsession):
    from kairan_points.settlement.models import SettlementPeriod, SettlementTotal

    dbsession.rollback()
    return (dbsession.scalar(select(func.count()).select_from(SettlementPeriod)),
            dbsession.scalar(select(func.count()).select_from(SettlementTotal)))


def test_the_action_is_declared_at_level_two(registry):
    action = assurance_action(registry, "points.settle")
    assert action.level == 2


def test_closing_needs_the_step_up(testapp, dbsession, registry, app_request, make_programme,
                                   make_user):
    a_paid_january(dbsession, registry, app_request, make_programme, make_user)
    operator = make_user(roles=("Member", "Operator"))
    sign_in_directly(testapp, dbsession, operator)
    response = testapp.post_form("/manage/points/settlement/close", {"period": "2025-01"},
                                 status=(302, 303))
    assert "/stepup" in response.headers["Location"]
    assert "points.settle" in response.headers["Location"]
    assert closed_months(dbsession) == (0, 0)
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "points.settlement.close")) == 0

    sign_in_at_level(testapp, dbsession, operator, level=2)
    # the step-up returns to the close address with a GET: it leads back to the page
    back = testapp.get("/manage/points/settlement/close", status=303)
    assert "/manage/points/settlement?period=" in back.headers["Location"]
    assert closed_months(dbsession) == (0, 0)
    testapp.post_form("/manage/points/settlement/close", {"period": "2025-01"}, status=303)
    assert closed_months(dbsession) == (1, 1)
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "points.settlement.close")).one()
    assert entry.outcome == "success" and entry.actor_id == operator.id
    verify_ok(dbsession)


def test_the_step_up_does_not_let_others_close(testapp, dbsession, registry, app_request,
                                               make_programme, make_user):
    a_paid_january(dbsession, registry, app_request, make_programme, make_user)
    resident = make_user()
    sign_in_at_level(testapp, dbsession, resident, level=2)
    testapp.post_form("/manage/points/settlement/close", {"period": "2025-01"}, status=403)
    assert closed_months(dbsession) == (0, 0)
    verify_ok(dbsession)
