"""Recovery codes: ten shown once, stored hashed, each usable once, a level-2 ``otp``
factor audited as a recovery-code use, regenerated only after a fresh step-up."""

import threading
from datetime import timedelta

from kairan_stepup.totp import services
from kairan_stepup.totp.models import RecoveryCode
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.addons.kairan_stepup.functional.totp_helpers import (
    audit_actions,
    enrol,
    recovery_codes,
    resident,
    step_up,
)
from tests.functional.security.conftest import session_row, travel


def use(testapp, code, came_from="/dashboard", status=None):
    return testapp.post_form("/stepup/otp/recovery", {"recovery_code": code,
                                                       "came_from": came_from},
                             status=status, expect_errors=status not in (None, 303))


def test_ten_codes_are_shown_once_and_stored_hashed(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    _seed, shown = enrol(testapp, clock)
    codes = recovery_codes(shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    rows = dbsession.scalars(select(RecoveryCode)).all()
    assert len(rows) == 10
    stored = " ".join(f"{r.salt} {r.code_hash}" for r in rows)
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert len({r.salt for r in rows}) == 10  # a salt per code
    # never shown again
    page = testapp.get("/account/security")
    assert not any(code in page.text for code in codes)
    assert "残り10個" in page.text


def test_a_recovery_code_steps_up_once(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    _seed, shown = enrol(testapp, clock)
    code = recovery_codes(shown)[3]
    before = testapp.cookies["kairan_session"]
    back = use(testapp, code.upper().replace("-", " "), came_from="/account/security")
    assert back.location == "http://localhost/account/security"
    assert testapp.cookies["kairan_session"] != before
    factors = session_row(dbsession, testapp).factors
    assert factors["otp"]["level"] == 2
    assert "残りは9個" in testapp.get("/account/security").text
    refused = use(testapp, code, status=400)
    assert "すでに使われています" in refused.text
    actions = audit_actions(dbsession)
    assert ("stepup.recovery.used", "success") in actions
    assert ("stepup.recovery.failure", "failure") in actions


def test_parallel_use_of_one_recovery_code_succeeds_once(engine, dbsession, make_user,
                                                           registry):
    user = make_user()
    code = services.new_recovery_codes(dbsession, registry.settings, user.id)[0]
    dbsession.commit()
    barrier = threading.Barrier(20)
    outcomes = []

    def run():
        barrier.wait()
        with Session(bind=engine) as session:
            outcome = services.use_recovery_code(session, registry.settings, user.id, code)
            session.commit()
        outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(services.SUCCESS) == 1, outcomes


def test_wrong_recovery_codes_count_towards_the_lockout(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    _seed, shown = enrol(testapp, clock)
    for _i in range(4):
        use(testapp, "zzzzz-zzzzz", status=400)
    use(testapp, "zzzzz-zzzzz", status=429)
    use(testapp, recovery_codes(shown)[0], status=429)
    assert ("stepup.otp.lockout", "denied") in audit_actions(dbsession)


def test_regenerating_needs_a_fresh_step_up_and_replaces_the_codes(
        testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, shown = enrol(testapp, clock)
    old = recovery_codes(shown)
    response = testapp.get("/account/security/recovery-codes", status=303)
    assert "/stepup?" in response.location and "max_age=300" in response.location
    clock.advance(30)
    step_up(testapp, clock.code(seed), came_from="/account/security/recovery-codes")
    page = testapp.get("/account/security/recovery-codes")
    fresh = recovery_codes(page.forms["recovery"].submit())
    assert len(fresh) == 10 and not set(fresh) & set(old)
    use(testapp, old[0], status=400)
    # five minutes later the step-up is no longer fresh enough
    travel(dbsession, testapp, factors_age={"otp": timedelta(seconds=301)})
    testapp.get("/account/security/recovery-codes", status=303)
    assert use(testapp, fresh[0]).status_int == 303
