"""TOTP authenticators and recovery codes."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime


class TotpDevice(Base):
    """One authenticator app of a user. ``confirmed`` stays empty until the first
    correct code: an unconfirmed row is an enrolment in progress and proves nothing."""

    __tablename__ = "stepup_totp"
    __encrypted_columns__ = ("secret",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nickname: Mapped[str] = mapped_column(String(100), default="")
    # Fernet token of the base32 seed (kairan_stepup.crypto); never the seed itself
    secret: Mapped[str] = mapped_column(String(300))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the latest 30-second time step accepted: each step works once (guarded UPDATE)
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RecoveryCode(Base):
    """One single-use recovery code, stored as HMAC-SHA256(pepper, salt || code)."""

    __tablename__ = "stepup_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(32))  # hex of 16 random bytes
    code_hash: Mapped[str] = mapped_column(String(64))  # hex
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
