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
