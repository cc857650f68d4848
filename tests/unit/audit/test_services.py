"""audit() and purge_audit() over an in-memory SQLite database."""

from datetime import UTC, datetime, timedelta

import pytest
from pyramid.testing import DummyRequest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kairan.audit.models import AuditEntry
from kairan.audit.services import audit, purge_audit


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    AuditEntry.__table__.create(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_purge_removes_only_entries_older_than_the_retention(session):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for days in (400, 366, 365, 364, 1):
        session.add(AuditEntry(at=now - timedelta(days=days, seconds=1 if days == 365 else 0),
                               action=f"a{days}", outcome="success", detail={}))
    session.flush()
    assert purge_audit(session, 365, now=now) == 3
    assert sorted(session.scalars(select(AuditEntry.action))) == ["a1", "a364"]
    assert purge_audit(session, 365, now=now) == 0


def test_purge_refuses_a_retention_below_one_day(session):
    with pytest.raises(ValueError):
        purge_audit(session, 0)


def test_audit_never_stores_secrets(session):
    request = DummyRequest(dbsession=session, client_addr="192.0.2.1")
    request.user = None
    entry = audit(request, "login.failure", detail={"password": "hunter22", "Token": "abc",
                                                    "reason": "credentials"})
    assert entry.detail == {"password": "[redacted]", "Token": "[redacted]",
                            "reason": "credentials"}
    assert entry.address == "192.0.2.1" and entry.at.tzinfo is not None


def test_audit_writes_its_row_at_once_and_returns_a_detached_entry(session):
    request = DummyRequest(dbsession=session, client_addr="192.0.2.1")
    request.user = None
    entry = audit(request, "export.download", target="users", detail={"format": "csv"})
    assert entry not in session
    stored = session.scalars(select(AuditEntry)).one()
    assert (stored.action, stored.target, stored.outcome, stored.detail, stored.at) == (
        "export.download", "users", "success", {"format": "csv"}, entry.at)


def test_an_audit_alone_commits_the_request_transaction(tmp_path):
    # the Core INSERT is invisible to zope.sqlalchemy: audit() marks the session
    # changed, or a request that only audits would be rolled back as read-only
    import transaction

    from kairan.db import get_session_factory, get_tm_session

    engine = create_engine(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    AuditEntry.__table__.create(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        request = DummyRequest(client_addr="192.0.2.1")
        request.user = None
        request.dbsession = get_tm_session(get_session_factory(engine), manager, request)
        audit(request, "export.download")
    with Session(engine) as check:
        assert check.scalars(select(AuditEntry.action)).all() == ["export.download"]
    engine.dispose()
