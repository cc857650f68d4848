"""The security settings page: every factor listed, removal after a fresh step-up at the
factor's own level, never the last factor of the level the role requires, "sign out
everywhere else", adding a second factor needs a fresh step-up."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from kairan_stepup.totp.models import TotpDevice
from sqlalchemy import select

from kairan.testing import sign_in_directly
from tests.addons.kairan_stepup.functional.totp_helpers import (
    audit_actions,
    browser,
    enrol,
    resident,
    step_up,
    touch_key,
)
from tests.functional.security.conftest import travel


def stepup_query(response):
    assert response.status_int == 303, response.status
    parts = urlsplit(response.location)
    assert parts.path == "/stepup"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_the_page_lists_every_factor_with_kind_name_and_dates(
        levels_app, dbsession, make_user, levels_config, clock):
    user = resident(make_user, levels_app, dbsession)
    enrol(levels_app, clock, nickname="仕事用スマホ")
    levels_config.registry["test_keys"][user.id] = ["blue"]
    page = levels_app.get("/account/security")
    for text in ("Test keys", "key blue", "認証アプリ", "仕事用スマホ", "リカバリーコード",
                 "残り10個（全10個）", "レベル3", "レベル2", "未使用"):
        assert text in page.text, text
    assert 'href="/account/security/totp"' in page.text  # add an app
    assert 'href="/account/security/recovery-codes"' in page.text
    # linked from the account page
    assert 'href="/account/security"' in levels_app.get("/account").text


def test_removing_an_app_needs_a_fresh_level_two_step_up(
        testapp, dbsession, make_user, clock, outbox):
    user = resident(make_user, testapp, dbsession)
    seed, _codes = enrol(testapp, clock)
    device = dbsession.scalars(select(TotpDevice)).one()
    url = f"/account/security/remove/totp/{device.id}"
    assert stepup_query(testapp.get(url)) == {"level": "2", "came_from": url, "max_age": "300"}
    testapp.post_form(url, {}, status=303)  # a POST is refused the same way
    assert dbsession.scalars(select(TotpDevice)).all() != []
    clock.advance(30)
    step_up(testapp, clock.code(seed), came_from=url)
    testapp.get(url).forms["remove"].submit(status=303)
    dbsession.expire_all()
    assert dbsession.scalars(select(TotpDevice)).all() == []
    assert ("stepup.totp.removed", "success") in audit_actions(dbsession)
    assert outbox()[-1].recipient == user.email
    assert "削除されました" in outbox()[-1].subject


def test_removing_a_level_three_factor_needs_level_three(
        levels_app, dbsession, make_user, levels_config, clock):
    user = resident(make_user, levels_app, dbsession)
    seed, _codes = enrol(levels_app, clock)
    levels_config.registry["test_keys"][user.id] = ["blue", "red"]
    clock.advance(30)
    step_up(levels_app, clock.code(seed))
    url = "/account/security/remove/testkey/blue"
    assert stepup_query(levels_app.get(url))["level"] == "3"
    touch_key(levels_app, url)
    levels_app.get(url).forms["remove"].submit(status=303)
    assert levels_config.registry["test_keys"][user.id] == ["red"]


def test_the_last_factor_of_the_required_level_cannot_be_removed(
        levels_app, dbsession, make_user, levels_config):
    operator = resident(make_user, levels_app, dbsession, roles=("Operator",))  # needs 3
    levels_config.registry["test_keys"][operator.id] = ["blue"]
    touch_key(levels_app)
    url = "/account/security/remove/testkey/blue"
    page = levels_app.get(url)
    assert "レベル3の最後のサインイン方法" in page.text and 'role="alert"' in page.text
    assert "remove" not in page.forms
    levels_app.post_form(url, {}, status=400)
    assert levels_config.registry["test_keys"][operator.id] == ["blue"]
    assert ("stepup.factor.remove", "denied") in audit_actions(dbsession)
    # with a second key, one may go
    levels_config.registry["test_keys"][operator.id].append("red")
    levels_app.get(url).forms["remove"].submit(status=303)
    assert levels_config.registry["test_keys"][operator.id] == ["red"]


def test_recovery_codes_do_not_count_as_the_required_factor(
        levels_app, dbsession, make_user, clock):
    resident(make_user, levels_app, dbsession, roles=("Manager",))  # needs 2
    seed, _codes = enrol(levels_app, clock)
    clock.advance(30)
    step_up(levels_app, clock.code(seed))
    device = dbsession.scalars(select(TotpDevice)).one()
    levels_app.post_form(f"/account/security/remove/totp/{device.id}", {}, status=400)
    # the recovery codes themselves may go: they are not a standing factor
    levels_app.get("/account/security/remove/recovery/codes").forms["remove"].submit(
        status=303)


def test_adding_a_second_app_needs_a_fresh_step_up(testapp, dbsession, make_user, clock):
    resident(make_user, testapp, dbsession)
    seed, _codes = enrol(testapp, clock)
    assert stepup_query(testapp.get("/account/security/totp"))["level"] == "2"
    clock.advance(30)
    step_up(testapp, clock.code(seed))
    clock.advance(30)
    enrol(testapp, clock, nickname="予備")
    travel(dbsession, testapp, factors_age={"otp": timedelta(seconds=301)})
    assert stepup_query(testapp.get("/account/security/totp"))["max_age"] == "300"
    assert len(dbsession.scalars(select(TotpDevice)).all()) == 2


def test_sign_out_everywhere_else(app, testapp, dbsession, make_user):
    user = resident(make_user, testapp, dbsession)
    others = [browser_for(app) for _i in range(2)]
    for other in others:
        sign_in_directly(other, dbsession, user)
        assert other.get("/account").status_int == 200
    page = testapp.get("/account/security")
    assert "<span>2</span>台" in page.text
    page.forms["sessions"].submit(status=303)
    for other in others:
        assert urlsplit(other.get("/account", status=303).location).path == "/login"
    assert testapp.get("/account").status_int == 200
    assert ("account.sessions_ended", "success") in audit_actions(dbsession)


def browser_for(app):
    from kairan.testing import KairanTestApp

    return KairanTestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.11",
                                             "HTTP_HOST": "localhost"})


__all__ = ["browser"]
