"""Browser fixtures (live server, Chromium, axe) from the core's browser tests, with the
step-up add-on and a test-only add-on that has level-2 and level-3 pages."""

import secrets

import pytest

from tests.browser.conftest import *  # noqa: F403
from tests.conftest import test_addons

TEST_PAGES = "tests.addons.kairan_stepup.webauthn_addon"


@pytest.fixture(scope="module")
def live_server_settings(tmp_path_factory, live_port):
    # as the core's fixture (which a star import cannot extend), plus the test pages
    path = tmp_path_factory.mktemp("browser") / "kairan.sqlite"
    addons = [a for a in test_addons() if a != "kairan_stepup"]
    return {
        "sqlalchemy.url": f"sqlite:///{path}",
        "kairan.env": "testing",
        "kairan.secret": "browser-" + secrets.token_hex(16),
        "kairan.base_url": f"http://localhost:{live_port}",
        "kairan.addons": " ".join([*addons, "kairan_stepup", TEST_PAGES]),
    }
