"""The append-only audit log."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """Who did what, when (UTC), from where, with what outcome.

    Rows are only ever inserted, and deleted by the retention purge; no code
    path updates one. ``actor_id`` is deliberately not a foreign key: the
    entry outlives a deleted account.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # staff acting on a resident's behalf: actor is the staff member, on_behalf_of the resident
    on_behalf_of: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
