"""Levels and sessions with real TOTP codes (SECURITY.md "Sign-in and sessions"): the
session id rotates at every step-up, acr/amr, level-2 timeouts with time travel and the
fall back to level 1, max_age on every request, and an operator's per-action level."""

from datetime import timedelta

from kairan.security.assurance import assurance_action
from tests.addons.kairan_stepup.functional.totp_helpers import (
    configure_with,
    enrol,
    resident,
    step_up,
)
from tests.functional.security.conftest import session_row, travel


def signed_in_with_totp(app, dbsession, make_user, clock):
    resident(make_user, app, dbsession)
    seed, _codes = enrol(app, clock)
    clock.advance(30)
    step_up(app, clock.code(seed))
    return seed


def test_every_step_up_rotates_the_session_id(levels_app, dbsession, make_user, clock):
    seed = signed_in_with_totp(levels_app, dbsession, make_user, clock)
    first = levels_app.cookies["kairan_session"]
    clock.advance(30)
    step_up(levels_app, clock.code(seed))
    assert levels_app.cookies["kairan_session"] != first
    old = levels_app.cookies["kairan_session"]
    levels_app.set_cookie("kairan_session", first)  # the old cookie is anonymous now
    assert "/login" in levels_app.get("/account", status=303).location
    levels_app.set_cookie("kairan_session", old)
    assert levels_app.get("/account").status_int == 200


def test_acr_and_amr_after_totp(levels_app, dbsession, make_user, clock):
    resident(make_user, levels_app, dbsession)
    assert levels_app.get("/test-stepup/whoami").json == {
        "level": 1, "acr": "aal1", "amr": ["pwd"]}
    seed, _codes = enrol(levels_app, clock)
    clock.advance(30)
    step_up(levels_app, clock.code(seed))
    assert levels_app.get("/test-stepup/whoami").json == {
        "level": 2, "acr": "aal2", "amr": ["otp", "pwd"]}
    factors = session_row(dbsession, levels_app).factors
    assert factors["otp"]["level"] == 2 and factors["pwd"]["level"] == 1


def test_level_two_lapses_after_one_hour_idle_and_falls_back_to_level_one(
        levels_app, dbsession, make_user, clock):
    signed_in_with_totp(levels_app, dbsession, make_user, clock)
    travel(dbsession, levels_app, idle=timedelta(minutes=59),
           factors_age={"otp": timedelta(minutes=59), "pwd": timedelta(minutes=59)})
    assert levels_app.get("/test-stepup/whoami").json["level"] == 2
    travel(dbsession, levels_app, idle=timedelta(minutes=61))
    response = levels_app.get("/test-stepup/action", status=303)
    assert "/stepup?" in response.location and "level=2" in response.location
    assert levels_app.get("/account").status_int == 200  # still signed in


def test_a_lapsed_level_two_stays_lapsed_on_the_next_requests(
        levels_app, dbsession, make_user, clock):
    signed_in_with_totp(levels_app, dbsession, make_user, clock)
    travel(dbsession, levels_app, idle=timedelta(minutes=61))
    now = levels_app.get("/test-stepup/whoami").json
    assert now["level"] == 1 and now["acr"] == "aal1"
    # the lapse is remembered after last_seen has moved on
    assert levels_app.get("/test-stepup/whoami").json["level"] == 1
    assert "/stepup?" in levels_app.get("/test-stepup/action", status=303).location


def test_level_two_lapses_after_24_hours_in_total(levels_app, dbsession, make_user, clock):
    signed_in_with_totp(levels_app, dbsession, make_user, clock)
    travel(dbsession, levels_app, factors_age={"otp": timedelta(hours=23, minutes=59)})
    assert levels_app.get("/test-stepup/whoami").json["level"] == 2
    travel(dbsession, levels_app, factors_age={"otp": timedelta(hours=24, seconds=1)})
    assert levels_app.get("/test-stepup/whoami").json["level"] == 1


def test_max_age_is_enforced_on_every_request(levels_app, dbsession, make_user, clock):
    signed_in_with_totp(levels_app, dbsession, make_user, clock)
    assert levels_app.get("/account/security/recovery-codes").status_int == 200
    travel(dbsession, levels_app, factors_age={"otp": timedelta(seconds=299)})
    assert levels_app.get("/account/security/recovery-codes").status_int == 200
    travel(dbsession, levels_app, factors_age={"otp": timedelta(seconds=301)})
    response = levels_app.get("/account/security/recovery-codes", status=303)
    assert "max_age=300" in response.location
    assert levels_app.get("/test-stepup/whoami").json["level"] == 2  # level 2 still holds


def test_a_setting_changes_the_level_a_named_action_needs(
        levels_app, levels_config, kairan_settings, dbsession, make_user, clock):
    default = configure_with(kairan_settings)
    try:
        assert assurance_action(default.registry, "test.stepup.action").level == 3
    finally:
        default.registry["db_engine"].dispose()
    assert assurance_action(levels_config.registry, "test.stepup.action").level == 2
    resident(make_user, levels_app, dbsession)
    response = levels_app.get("/test-stepup/action", status=303)
    assert "level=2" in response.location and "action=test.stepup.action" in response.location
    page = levels_app.get(response.location)
    assert "認証アプリのコード" in page.text  # the TOTP method is offered for level 2
    seed, _codes = enrol(levels_app, clock)
    clock.advance(30)
    step_up(levels_app, clock.code(seed), came_from="/test-stepup/action")
    assert levels_app.get("/test-stepup/action").text == "protected action done"
