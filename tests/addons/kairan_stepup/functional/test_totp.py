"""TOTP enrolment and step-up through the pages (SECURITY.md: a code works once, window
±1 step, seeds ≥ 160 bits and encrypted at rest, lockout)."""

import base64

from kairan_stepup.totp.models import TotpDevice
from sqlalchemy import select

from tests.addons.kairan_stepup.functional.totp_helpers import (
    audit_actions,
    enrol,
    recovery_codes,
    resident,
    step_up,
)


def test_enrolment_shows_a_local_qr_code_and_the_key(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    page = testapp.get("/account/security/totp")
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "http" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", "")  # drawn here, no outside image
    assert 'class="totp-key"' in page.text
    # nothing is stored before a correct code
    assert dbsession.scalars(select(TotpDevice)).all() == []


def test_enrolment_completes_only_after_a_correct_code(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    testapp.get("/account/security/totp")
    wrong = testapp.post_form("/account/security/totp", {"code": "000000"}, status=400)
    assert 'role="alert"' in wrong.text
    assert dbsession.scalars(select(TotpDevice)).all() == []
    seed, done = enrol(testapp, clock)
    assert len(recovery_codes(done)) == 10
    dbsession.expire_all()
    (device,) = dbsession.scalars(select(TotpDevice)).all()
    assert device.confirmed is not None and device.nickname == "私のスマホ"


def test_seed_is_160_bits_and_encrypted_in_the_row(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, _done = enrol(testapp, clock)
    assert len(base64.b32decode(seed)) * 8 >= 160
    dbsession.expire_all()
    device = dbsession.scalars(select(TotpDevice)).one()
    assert seed not in device.secret and seed.lower() not in device.secret.lower()
    assert device.secret.startswith("gAAAA")  # a Fernet token


def test_step_up_with_a_code_reaches_level_two_and_a_code_works_once(
        testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, _done = enrol(testapp, clock)
    # the code typed to enrol was spent by the enrolment
    refused = step_up(testapp, clock.code(seed), status=400)
    assert "すでに使われています" in refused.text
    clock.advance(30)
    before = testapp.cookies["kairan_session"]
    back = step_up(testapp, clock.code(seed), came_from="/account/security")
    assert back.status_int == 303 and back.location == "http://localhost/account/security"
    assert testapp.cookies["kairan_session"] != before
    # replay of the accepted code: refused
    step_up(testapp, clock.code(seed), status=400)
    actions = audit_actions(dbsession)
    assert ("security.stepup", "success") in actions
    assert ("stepup.otp.failure", "failure") in actions


def test_window_is_one_step_either_side(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, _done = enrol(testapp, clock)
    clock.advance(300)
    step_up(testapp, clock.code(seed, -2), status=400)  # t-2: refused
    step_up(testapp, clock.code(seed, 2), status=400)  # t+2: refused
    assert step_up(testapp, clock.code(seed, -1)).status_int == 303  # t-1: accepted
    assert step_up(testapp, clock.code(seed, 0)).status_int == 303  # t: accepted
    assert step_up(testapp, clock.code(seed, 1)).status_int == 303  # t+1: accepted
    # and now every step up to t+1 is spent
    step_up(testapp, clock.code(seed, 0), status=400)
    step_up(testapp, clock.code(seed, 1), status=400)


def test_lockout_after_five_wrong_codes(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, _done = enrol(testapp, clock)
    clock.advance(60)
    good = clock.code(seed)
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    for _i in range(4):
        step_up(testapp, wrong, status=400)
    locked = step_up(testapp, wrong, status=429)
    assert "Retry-After" in locked.headers
    # now even the right code is refused
    step_up(testapp, good, status=429)
    actions = audit_actions(dbsession)
    assert actions.count(("stepup.otp.lockout", "denied")) == 1
    assert ("stepup.otp.failure", "denied") in actions


def test_malformed_code_is_a_400_with_a_message(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    enrol(testapp, clock)
    for code in ("", "12345", "abcdef", "1" * 50):
        page = step_up(testapp, code, status=400)
        assert "6桁" in page.text
