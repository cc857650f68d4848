"""Fixtures of the step-up add-on's functional tests."""

from tests.addons.kairan_stepup.functional.totp_helpers import clock  # noqa: F401
from tests.functional.accounts.conftest import outbox  # noqa: F401
