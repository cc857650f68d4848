"""Payments at shops: one row per payment, linking the ledger transfer to the shop.

The points themselves move only in the ledger (a ``payment`` transfer from
the resident's wallet to the merchant's account); this row adds what the
shop and the resident need: the branch, a short receipt code, and how much
was refunded. ``refunded`` never exceeds ``amount`` (CHECK constraint, and
the refund is a guarded ``UPDATE ... WHERE refunded + n <= amount``).
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime, utcnow
from kairan_points.models import BigId


class Payment(Base):
    """A resident paid ``amount`` points of ``programme_id`` at ``merchant_id``."""

    __tablename__ = "points_payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunded_in_range"),
        Index("ix_points_payments_merchant_id_created", "merchant_id", "created"),
        # the month's KPIs (payments per category) read by time across merchants
        Index("ix_points_payments_created", "created"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_transfers.id"),
                                             unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"))
    # The merchants add-on's ids; no foreign key: that add-on may be disabled.
    merchant_id: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_code: Mapped[str] = mapped_column(String(8), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OneTimeCode(Base):
    """A code a shop shows for one payment of ``amount``: used once, expires at ``expires_at``.

    The resident's payment takes it with a guarded ``UPDATE ... WHERE used_at
    IS NULL AND expires_at > now`` in the payment's transaction: of any number
    of concurrent redemptions exactly one wins, and a refused payment (rolled
    back) leaves the code unused. Only the digest of the secret is stored.
    """

    __tablename__ = "points_one_time_codes"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    merchant_id: Mapped[int] = mapped_column(Integer, index=True)
    branch_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("points_payments.id"))
