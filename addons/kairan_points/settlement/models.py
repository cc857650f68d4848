"""Closed settlement periods and the totals recorded when each was closed.

A ``SettlementPeriod`` row exists only for a closed month (``period`` unique:
a second close fails on the constraint even when two operators race). Its
``SettlementTotal`` rows are the statements as they were at the close: a
closed month's statements are served from them, and the reconciliation
compares them with the ledger.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime


class SettlementPeriod(Base):
    __tablename__ = "points_settlement_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM (JST month)
    closed_by: Mapped[int | None] = mapped_column(Integer)  # None: the CLI
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SettlementTotal(Base):
    __tablename__ = "points_settlement_totals"
    __table_args__ = (
        UniqueConstraint("period_id", "merchant_id", "programme_id",
                         name="uq_points_settlement_totals_row"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("points_settlement_periods.id"),
                                           index=True)
    merchant_id: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"))
    payments: Mapped[int] = mapped_column(BigInteger)
    payment_points: Mapped[int] = mapped_column(BigInteger)
    refunds: Mapped[int] = mapped_column(BigInteger)
    refund_points: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
