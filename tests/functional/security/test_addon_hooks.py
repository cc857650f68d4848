"""The core hooks the step-up, points and merchants add-ons stand on, exercised through
the test-only add-on ``stepup_fixture``: named assurance actions, sign-in alternatives,
"set it up" links on the step-up page, account links and demo loaders."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from pyramid.exceptions import ConfigurationExecutionError

from kairan.demo.services import run_demo_loaders
from kairan.security.assurance import required_level

from .conftest import FIXTURE_ADDON


def test_a_named_action_asks_for_its_default_level_and_says_why(stepup_app, make_user):
    make_user(email="pay@example.jp")
    stepup_app.login("pay@example.jp")
    response = stepup_app.get("/test/pay", status=303)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["level"] == ["2"] and query["action"] == ["test.pay"]
    page = stepup_app.get(response.headers["Location"])
    # the action's title, translated, in the sentence that says why
    assert "特に慎重な確認が必要なものです：<strong>アカウントを削除" in page.text


def test_an_unknown_action_in_the_query_is_ignored(stepup_app, make_user):
    make_user(email="pay2@example.jp")
    stepup_app.login("pay2@example.jp")
    page = stepup_app.get("/stepup?level=2&action=nope")
    assert "特に慎重な確認が必要" not in page.text


def configure_with(kairan_settings, **extra):
    from kairan.config import configure

    settings = dict(kairan_settings, **{"kairan.addons": FIXTURE_ADDON}, **extra)
    return configure(settings, environ={})


def test_an_operator_setting_changes_the_level_of_an_action(kairan_settings, app_config):
    config = configure_with(kairan_settings, **{"kairan.assurance.test.pay": "3"})
    try:
        class Request:
            registry = config.registry
        assert required_level(Request(), "test.pay") == 3
    finally:
        config.registry["db_engine"].dispose()


@pytest.mark.parametrize("value", ["4", "0", "two"])
def test_a_bad_level_setting_fails_at_start_up_naming_it(kairan_settings, app_config, value):
    with pytest.raises((ValueError, ConfigurationExecutionError),
                       match="kairan.assurance.test.pay"):
        configure_with(kairan_settings, **{"kairan.assurance.test.pay": value})


def test_an_undeclared_action_is_a_programming_error(stepup_config):
    class Request:
        registry = stepup_config.registry
    with pytest.raises(LookupError, match="add_assurance_action"):
        required_level(Request(), "never.declared")


def test_the_sign_in_page_offers_factors_that_sign_in_on_their_own(stepup_app):
    page = stepup_app.get("/login?came_from=/dashboard")
    assert 'href="/test/card-sign-in?came_from=/dashboard"' in page.text
    assert "Test card" in page.text
    assert "Test one-time code" not in page.text  # cannot sign in on its own


def test_the_step_up_page_links_to_setting_up_a_missing_factor(stepup_app, make_user):
    make_user(email="nocard@example.jp")
    stepup_app.login("nocard@example.jp")
    page = stepup_app.get("/stepup?level=3")
    assert 'href="/test/enrol/sc"' in page.text
    assert "/test/factor/sc" not in page.text  # nothing to use yet
    # level 2: a usable method exists, so nothing to set up is pushed
    page = stepup_app.get("/stepup?level=2")
    assert "/test/factor/otp" in page.text and "/test/enrol/" not in page.text


def test_the_step_up_page_only_offers_methods_the_user_has(stepup_app, make_user):
    make_user(email="enrol@example.jp")
    stepup_app.login("enrol@example.jp")
    page = stepup_app.get("/stepup?level=3")
    assert "/test/factor/sc" in page.text and "/test/enrol/" not in page.text


def test_account_links_appear_on_the_account_and_manager_pages(stepup_app, make_user):
    resident = make_user(email="links@example.jp")
    make_user(email="links-boss@example.jp", roles=("Manager",))
    stepup_app.login("links@example.jp")
    assert 'href="/test/secret"' in stepup_app.get("/account").text
    stepup_app.logout()
    stepup_app.login("links-boss@example.jp")
    page = stepup_app.get(f"/manage/users/{resident.id}")
    assert f'href="/test/users/{resident.id}/factors"' in page.text
    assert "Test reset factors" in page.text


def test_demo_loaders_run_in_order_and_return_their_lines(stepup_config, dbsession):
    lines = run_demo_loaders(dbsession, stepup_config.registry, today=date(2025, 1, 6))
    assert lines == ["zz-late loaded for 2025-01-06", "aa-early loaded for 2025-01-06"]


def test_two_demo_loaders_with_one_name_conflict_at_start_up():
    from pyramid.config import Configurator
    from pyramid.exceptions import ConfigurationConflictError

    from kairan.demo.services import add_demo_loader

    from .stepup_fixture import TestDemoLoader

    config = Configurator()
    config.add_directive("add_demo_loader", add_demo_loader)
    config.add_demo_loader(TestDemoLoader("same", 1))
    config.add_demo_loader(TestDemoLoader("same", 2))
    with pytest.raises(ConfigurationConflictError):
        config.commit()
