"""Earning: awards made by rules, community activities and check-ins, expiry reminders.

``Award`` records what every rule decided for every event, paid or not: a
re-published event finds its award (unique rule and event key) and pays
nothing twice; a capped or budget-limited award is recorded with what was
asked, what was paid and why, never an error page.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime
from kairan_points.models import BigId

AWARDED = "awarded"
REDUCED = "reduced"
SKIPPED = "skipped"


class Award(Base):
    """One rule's decision about one event: ``requested`` points asked, ``points`` paid.

    ``status``: ``awarded`` (in full), ``reduced`` (capped) or ``skipped``
    (nothing paid); ``limit`` says which limit held: ``day``, ``month`` or
    ``budget``. ``day`` is the Asia/Tokyo date the caps count in.
    """

    __tablename__ = "points_awards"
    __table_args__ = (
        UniqueConstraint("rule", "event_key", name="uq_points_awards_rule_event"),
        CheckConstraint("requested > 0", name="requested_positive"),
        CheckConstraint("points >= 0 AND points <= requested", name="points_in_range"),
        CheckConstraint("status IN ('awarded', 'reduced', 'skipped')", name="status"),
        Index("ix_points_awards_rule_user_day", "rule", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(80))
    event_key: Mapped[str] = mapped_column(String(160))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    requested: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    limit: Mapped[str] = mapped_column(String(10), default="")
    day: Mapped[date] = mapped_column(Date)
    transfer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("points_transfers.id"))
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Activity(Base):
    """A community activity residents check in at, within ``starts_at``–``ends_at``."""

    __tablename__ = "points_activities"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint("points > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    def localized_title(self, locale):
        return self.title_en if locale == "en" and self.title_en else self.title


class CheckIn(Base):
    """One resident at one activity: the unique constraint makes it one, however often."""

    __tablename__ = "points_checkins"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="uq_points_checkins_activity_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("points_activities.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reminder(Base):
    """An expiry reminder mailed for a lot: one per lot, ever."""

    __tablename__ = "points_reminders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_lots.id"), unique=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
