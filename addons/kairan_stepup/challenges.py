"""Server-side challenges for WebAuthn and the MyNumber card: random, single-use, expiring.

``issue`` stores a fresh 256-bit challenge bound to the browser's session and
a purpose; ``consume`` accepts it once, atomically (one UPDATE that only
succeeds while the row is unused and unexpired), so a replayed or late answer
fails even when several arrive at the same moment.
"""

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime, utcnow
from kairan.i18n.translation import _

CHALLENGE_BYTES = 32  # 256 bits; the promise is at least 128


class Challenge(Base):
    __tablename__ = "stepup_challenges"

    # sha256 hex of the challenge bytes: the table never holds a live challenge
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    # the session row (sha256 of its cookie) the challenge was issued to
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    expires: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class ChallengeError(ValueError):
    """Why a challenge was refused; ``message`` is translatable for the resident."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.reason = reason  # "unknown" | "used" | "expired" | "purpose" | "session"
        self.message = message


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(request, purpose, user_id=None, data=None, ttl=None) -> bytes:
    """A new challenge for ``purpose``, bound to this browser's session (one is
    created if the visitor has none yet). ``data`` is kept with it (JSON)."""
    settings = request.registry.settings
    ttl = ttl or settings["kairan.stepup.challenge_seconds"]
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    session = request.session
    session_row = session._ensure_row()
    now = utcnow()
    request.dbsession.add(Challenge(
        id=_digest(challenge), purpose=purpose, session_id=session_row.id, user_id=user_id,
        created=now, expires=now + timedelta(seconds=ttl), used_at=None, data=data or {},
    ))
    request.dbsession.flush()
    return challenge


def consume(request, purpose, challenge: bytes) -> Challenge:
    """Use the challenge once; raise ``ChallengeError`` saying why it cannot be used."""
    digest = _digest(challenge)
    row = request.dbsession.get(Challenge, digest)
    if row is None:
        raise ChallengeError("unknown", _("This sign-in request is not known. Please start "
                                          "again."))
    session_row = request.session.row
    if row.purpose != purpose:
        raise ChallengeError("purpose", _("This sign-in request was made for something "
                                          "else. Please start again."))
    if session_row is None or row.session_id != session_row.id:
        raise ChallengeError("session", _("This sign-in request was started in another "
                                          "browser. Please start again here."))
    now = utcnow()
    result = request.dbsession.execute(
        update(Challenge)
        .where(Challenge.id == digest, Challenge.used_at.is_(None), Challenge.expires > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        request.dbsession.refresh(row)
        if row.used_at is not None:
            raise ChallengeError("used", _("This sign-in request has already been used. "
                                           "Please start again."))
        raise ChallengeError("expired", _("This sign-in request has expired. Please start "
                                          "again."))
    request.dbsession.refresh(row)
    return row


def purge_expired(dbsession, now=None):
    """Delete challenges that can no longer be used; returns how many."""
    from sqlalchemy import delete

    now = now or utcnow()
    result = dbsession.execute(delete(Challenge).where(Challenge.expires < now - timedelta(
        days=1)))
    return result.rowcount
