"""The suite runs with every built-in add-on enabled, as a city deploys Kairan, so the
route-wide security tests cover the add-ons' routes too.

``KAIRAN_TEST_ADDONS`` (space separated; empty for none) overrides the list while
an add-on is being written.
"""

import os
from pathlib import Path

import pytest

ADDONS_DIR = Path(__file__).resolve().parent.parent / "addons"


def builtin_addons():
    """Every package in addons/, in name order."""
    return sorted(p.name for p in ADDONS_DIR.iterdir() if (p / "__init__.py").exists())


def test_addons():
    if "KAIRAN_TEST_ADDONS" in os.environ:
        return os.environ["KAIRAN_TEST_ADDONS"].split()
    return builtin_addons()


test_addons.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def kairan_settings(kairan_settings):
    return {**kairan_settings, "kairan.addons": " ".join(test_addons())}


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright for the whole run (two would clash): the browser tests of the core
    and of every add-on share it. The other browser fixtures are in tests/browser/conftest.py."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'python3 dev.py test', which installs it")
    with sync_playwright() as playwright:
        yield playwright
