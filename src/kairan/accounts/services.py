"""Account services: users by e-mail, one-time e-mail tokens, sessions, monthly activity."""

import hashlib
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kairan.accounts.models import EmailToken, User
from kairan.db.meta import utcnow
from kairan.kpi.models import MonthlyActivity
from kairan.security.models import AuthSession

TOKEN_LIFETIMES = {"verify": timedelta(hours=24), "reset": timedelta(hours=1)}
TOKYO = ZoneInfo("Asia/Tokyo")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(dbsession, email):
    return dbsession.scalar(select(User).where(User.email == normalise_email(email)))


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def issue_token(dbsession, user, purpose, now=None) -> str:
    """Store the SHA-256 of a new random token for ``user``; return the raw token (for the mail)."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    dbsession.add(EmailToken(id=_token_hash(raw), user_id=user.id, purpose=purpose,
                             created=now, expires=now + TOKEN_LIFETIMES[purpose]))
    return raw


def find_token(dbsession, raw, purpose, now=None):
    """The live (unused, unexpired) token row for ``raw``, or None. Writes nothing."""
    if not raw or len(raw) > 100:
        return None
    now = now or utcnow()
    token = dbsession.get(EmailToken, _token_hash(raw))
    if token is None or token.purpose != purpose or token.used_at is not None \
            or token.expires <= now:
        return None
    return token


def consume_token(dbsession, raw, purpose, now=None):
    """Mark the token used and return its user id, or None if it was not live.

    One conditional UPDATE: of two requests racing with the same token,
    exactly one sees a changed row.
    """
    token = find_token(dbsession, raw, purpose, now)
    if token is None:
        return None
    now = now or utcnow()
    result = dbsession.execute(
        update(EmailToken)
        .where(EmailToken.id == token.id, EmailToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    dbsession.expire(token)
    return token.user_id


def retire_tokens(dbsession, user_id, purpose, now=None):
    """Mark every live token of ``purpose`` for the user as used (a newer one superseded them)."""
    dbsession.execute(
        update(EmailToken)
        .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose,
               EmailToken.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def end_sessions(dbsession, user_id, keep=None) -> int:
    """Delete the user's server-side sessions (all, or all but the one with id ``keep``)."""
    stmt = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    result = dbsession.execute(stmt.execution_options(synchronize_session=False))
    return result.rowcount or 0


def tokyo_month(now=None) -> str:
    return (now or utcnow()).astimezone(TOKYO).strftime("%Y-%m")


def record_activity(dbsession, user_id, now=None):
    """Count the user as active in this month (Asia/Tokyo); idempotent."""
    dialect = dbsession.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(MonthlyActivity).values(user_id=user_id, month=tokyo_month(now))
    dbsession.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "month"]))
