import pytest

from tests.functional.dashboard.helpers import login_fixture


@pytest.fixture
def login(testapp, dbsession, make_user):
    """login(*roles, email=None) -> the user, signed in on ``testapp``."""
    return login_fixture(testapp, dbsession, make_user)
