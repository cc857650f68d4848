"""An application with the test-only step-up add-on, and time travel for sessions."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from kairan.db.meta import utcnow
from kairan.security.models import AuthSession
from kairan.testing import KairanTestApp
from tests.functional.accounts.conftest import outbox  # noqa: F401 - shared fixture

FIXTURE_ADDON = "tests.functional.security.stepup_fixture"


@pytest.fixture(scope="session")
def stepup_config(kairan_settings, app_config):
    from kairan.config import configure

    config = configure(dict(kairan_settings, **{"kairan.addons": FIXTURE_ADDON}), environ={})
    yield config
    config.registry["db_engine"].dispose()


@pytest.fixture
def stepup_app(stepup_config, clean_db):
    return KairanTestApp(stepup_config.make_wsgi_app(),
                         extra_environ={"REMOTE_ADDR": "192.0.2.10", "HTTP_HOST": "localhost"})


def session_row(dbsession, testapp, cookie="kairan_session"):
    """The ``sessions`` row behind the test browser's cookie (fresh from the database)."""
    dbsession.expire_all()
    digest = hashlib.sha256(testapp.cookies[cookie].encode()).hexdigest()
    return dbsession.scalar(select(AuthSession).where(AuthSession.id == digest))


def travel(dbsession, testapp, idle=None, age=None, factors_age=None):
    """Move the browser's session into the past: ``idle`` since it was last seen, ``age``
    since it was created, ``factors_age`` {factor: age} since each factor was proven."""
    row = session_row(dbsession, testapp)
    now = utcnow()
    if idle is not None:
        row.last_seen = now - idle
    if age is not None:
        row.created = now - age
    if factors_age:
        factors = dict(row.factors)
        for name, delta in factors_age.items():
            factors[name] = dict(factors[name], at=(now - delta).isoformat())
        row.factors = factors
    dbsession.commit()
    return row


__all__ = ["session_row", "travel", "timedelta"]
