"""E-mail tokens (hashed, single use, expiring) and the Tokyo month of activity."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kairan.accounts.models import EmailToken, User, UserRole
from kairan.accounts.services import (
    consume_token,
    find_token,
    issue_token,
    retire_tokens,
    tokyo_month,
)
from kairan.db.meta import utcnow


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    for model in (User, UserRole, EmailToken):
        model.__table__.create(engine)
    with Session(engine) as session:
        user = User(email="taro@example.jp", display_name="Taro", status="pending",
                    created=utcnow())
        session.add(user)
        session.flush()
        session.user = user
        yield session
    engine.dispose()


def test_a_token_works_once(session):
    raw = issue_token(session, session.user, "verify")
    assert session.get(EmailToken, raw) is None  # stored hashed
    assert find_token(session, raw, "verify") is not None
    assert find_token(session, raw, "reset") is None  # purpose matters
    assert consume_token(session, raw, "verify") == session.user.id
    assert consume_token(session, raw, "verify") is None
    assert find_token(session, raw, "verify") is None


def test_a_token_expires(session):
    now = utcnow()
    raw = issue_token(session, session.user, "reset", now=now)
    assert find_token(session, raw, "reset", now=now + timedelta(minutes=59)) is not None
    assert find_token(session, raw, "reset", now=now + timedelta(hours=1)) is None
    assert consume_token(session, raw, "reset", now=now + timedelta(hours=2)) is None


def test_retire_tokens(session):
    raw = issue_token(session, session.user, "reset")
    retire_tokens(session, session.user.id, "reset")
    session.expire_all()
    assert find_token(session, raw, "reset") is None


def test_garbage_tokens_are_not_found(session):
    assert find_token(session, "", "verify") is None
    assert find_token(session, "x" * 500, "verify") is None


def test_tokyo_month_boundary():
    assert tokyo_month(datetime(2025, 3, 31, 14, 59, tzinfo=UTC)) == "2025-03"
    assert tokyo_month(datetime(2025, 3, 31, 15, 0, tzinfo=UTC)) == "2025-04"
