"""The bridge's own rows: the outbox of moves out, the credits that came in, and the
reconciliation reports.

The points themselves move only in the ledger. A ``BridgeMove`` is written in
the same transaction as the ``bridge.out`` transfer that took the points from
the wallet, so a move is never lost and never sent without its debit. Its
``status`` is a small state machine, changed only by guarded updates
(``UPDATE ... WHERE status = <expected>``):

    pending --claim--> sending --accepted--> sent
       ^                  |  \\--refused (4xx)--> reverted (a ``bridge.revert`` transfer)
       |                  \\--transient error--> pending (later) or failed (attempts spent)
       +------ an operator's retry ------------------------------/

A ``BridgeCredit`` is a credit the service sent us (``bridge.in``), unique by
the service's transaction id.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from kairan.db.meta import Base, UTCDateTime, utcnow
from kairan_points.models import BigId

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
REVERTED = "reverted"
FAILED = "failed"
STATUSES = (PENDING, SENDING, SENT, REVERTED, FAILED)


class BridgeMove(Base):
    """Points of ``programme_id`` that ``user_id`` moves to the regional currency app."""

    __tablename__ = "points_bridge_moves"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'reverted', 'failed')",
                        name="status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_points_bridge_moves_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # the resident's id as the service knows it (kept if the account is deleted)
    remote_user: Mapped[str] = mapped_column(String(64))
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    # our idempotency key at the service: the same for every attempt of this move
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_transfers.id"),
                                             unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # a worker's claim: its token, and until when the claim holds (then it may be taken over)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revert_transfer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("points_transfers.id"), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BridgeCredit(Base):
    """Points the service moved into ``user_id``'s wallet (its transaction ``remote_id``)."""

    __tablename__ = "points_bridge_credits"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_transfers.id"),
                                             unique=True)
    remote_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BridgeReconciliation(Base):
    """One run of the daily reconciliation of a JST ``day`` and what it found."""

    __tablename__ = "points_bridge_reconciliations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), index=True)  # YYYY-MM-DD (JST)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool]
    ours: Mapped[int] = mapped_column(Integer)  # transactions on our side
    theirs: Mapped[int] = mapped_column(Integer)  # transactions on the service's side
    problems: Mapped[list] = mapped_column(JSON, default=list)
