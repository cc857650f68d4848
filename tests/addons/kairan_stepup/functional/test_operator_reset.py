"""The operator-assisted reset when every second factor is lost, and the password reset
that never removes a second factor."""

from kairan_stepup.crypto import encrypt
from kairan_stepup.totp import services
from kairan_stepup.totp.models import RecoveryCode, TotpDevice
from sqlalchemy import select

from kairan.audit.models import AuditEntry
from tests.addons.kairan_stepup.functional.totp_helpers import (
    audit_actions,
    browser,
    enrol,
    resident,
    step_up,
)
from tests.functional.accounts.conftest import link_in

URL = "/manage/users/{}/second-factors"
FORM = {"identity_check": "counter", "note": "運転免許証を窓口で確認（担当：鈴木）",
        "confirm": "true"}


def give_device(dbsession, registry, user):
    seed = services.new_seed()
    dbsession.add(TotpDevice(user_id=user.id, nickname="phone", secret=encrypt(registry, seed),
                             created=services.utcnow(), confirmed=services.utcnow(),
                             last_step=0))
    services.new_recovery_codes(dbsession, registry.settings, user.id)
    dbsession.commit()
    return seed


def test_operator_resets_after_recording_the_identity_check(
        testapp, app, dbsession, make_user, registry, clock, outbox):
    hanako = make_user(email="hanako@example.jp")
    hanako.locale = "en"
    dbsession.commit()
    give_device(dbsession, registry, hanako)
    resident_browser = browser_for(app)
    resident(make_user, resident_browser, dbsession, email="h2@example.jp")  # another user
    from kairan.testing import sign_in_directly
    sign_in_directly(resident_browser, dbsession, hanako)

    operator = resident(make_user, testapp, dbsession, email="op@example.jp",
                        roles=("Operator",))
    # the operator must step up first: level 2, fresh
    response = testapp.get(URL.format(hanako.id), status=303)
    assert "/stepup?" in response.location and "max_age=300" in response.location
    op_seed = give_device(dbsession, registry, operator)
    step_up(testapp, clock.code(op_seed), came_from=URL.format(hanako.id))
    page = testapp.get(URL.format(hanako.id))
    assert "hanako@example.jp" in page.text and "phone" in page.text

    # the identity check and a note are required
    refused = testapp.post_form(URL.format(hanako.id), {"note": "x"}, status=400)
    assert 'role="alert"' in refused.text or "error" in refused.text
    assert dbsession.scalars(select(TotpDevice).where(TotpDevice.user_id == hanako.id)).all()

    testapp.post_form(URL.format(hanako.id), FORM, status=303)
    dbsession.expire_all()
    assert not dbsession.scalars(select(TotpDevice).where(TotpDevice.user_id == hanako.id)).all()
    assert not dbsession.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == hanako.id)).all()
    # the resident is signed out everywhere; the operator is not
    assert "/login" in resident_browser.get("/account", status=303).location
    assert testapp.get("/account").status_int == 200
    entry = dbsession.scalars(select(AuditEntry).where(
        AuditEntry.action == "stepup.operator_reset")).one()
    assert entry.actor_id == operator.id and entry.target == f"user:{hanako.id}"
    assert entry.detail["identity_check"] == "counter"
    assert entry.detail["removed"]["totp"] == 1 and entry.detail["removed"]["recovery"] == 10
    mail = outbox()[-1]
    assert mail.recipient == "hanako@example.jp"
    assert "second sign-in methods were reset" in mail.subject  # in her language


def test_a_resident_cannot_reach_the_reset(testapp, dbsession, make_user):
    target = make_user(email="x@example.jp")
    resident(make_user, testapp, dbsession)
    testapp.get(URL.format(target.id), status=403)


def test_an_operator_cannot_reset_staff_or_themselves(testapp, dbsession, make_user, registry,
                                                      clock):
    editor = make_user(email="editor@example.jp", roles=("Editor",))
    operator = resident(make_user, testapp, dbsession, email="op@example.jp",
                        roles=("Operator",))
    seed = give_device(dbsession, registry, operator)
    step_up(testapp, clock.code(seed), came_from="/account")
    testapp.get(URL.format(editor.id), status=403)
    testapp.get(URL.format(operator.id), status=403)
    assert ("stepup.operator_reset", "denied") in audit_actions(dbsession)


def test_a_password_reset_never_removes_a_second_factor(testapp, dbsession, make_user, outbox,
                                                         clock):
    resident(make_user, testapp, dbsession)
    seed, _codes = enrol(testapp, clock)
    testapp.logout()
    testapp.post_form("/password-reset", {"email": "hanako@example.jp"})
    link = link_in(outbox()[-1], "/password-reset/")
    new_password = "aki-no-sora-takaku-77"
    testapp.post_form(link, {"new_password": new_password,
                             "confirm_password": new_password}, status=303)
    testapp.login("hanako@example.jp", new_password, status=303)
    dbsession.expire_all()
    assert len(dbsession.scalars(select(TotpDevice)).all()) == 1
    assert len(dbsession.scalars(select(RecoveryCode)).all()) == 10
    clock.advance(30)
    assert step_up(testapp, clock.code(seed)).status_int == 303


def browser_for(app):
    from kairan.testing import KairanTestApp

    return KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.12",
                                             "HTTP_HOST": "localhost"})


__all__ = ["browser"]
