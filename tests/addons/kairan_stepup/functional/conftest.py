"""Fixtures of the step-up add-on's functional tests."""

import pytest

from tests.addons.kairan_stepup.functional.totp_helpers import (  # noqa: F401
    browser,
    clock,
    configure_with,
)
from tests.functional.accounts.conftest import outbox  # noqa: F401


@pytest.fixture(scope="session")
def levels_config(kairan_settings, app_config):
    """kairan_stepup with the test add-on; Operators must keep a level-3 factor, Managers
    a level-2 one; the test action is lowered from its default 3 to 2 by a setting."""
    config = configure_with(kairan_settings, **{
        "kairan.stepup.role_levels": "Operator:3 Manager:2",
        "kairan.assurance.test.stepup.action": "2",
    })
    yield config
    config.registry["db_engine"].dispose()


@pytest.fixture
def levels_app(levels_config, clean_db):
    levels_config.registry["test_keys"].clear()
    return browser(levels_config)
