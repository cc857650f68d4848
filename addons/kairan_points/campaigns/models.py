"""Campaigns: points granted to applicants chosen by a reproducible, committed-seed draw.

``Campaign.seed_hash`` is sha256(seed) published before the draw; ``seed`` is
revealed by the draw; ``result_hash`` is the sha256 of the drawn ranking, so
``kairan points draw --verify`` catches applications added, removed or changed
after the draw.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime
from kairan_points.models import BigId

APPLIED = "applied"
WON = "won"
WAITING = "waiting"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"
STATUSES = (APPLIED, WON, WAITING, ACCEPTED, DECLINED, EXPIRED)


class Campaign(Base):
    """A campaign of ``programme_id``: ``capacity`` winners get ``points`` each."""

    __tablename__ = "points_campaigns"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("accept_days > 0", name="accept_days_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    min_level: Mapped[int] = mapped_column(Integer, default=1)
    excluded_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("points_campaigns.id"))
    accept_days: Mapped[int] = mapped_column(Integer, default=7)
    seed_hash: Mapped[str] = mapped_column(String(64), default="")
    seed: Mapped[str] = mapped_column(String(200), default="")
    result_hash: Mapped[str] = mapped_column(String(64), default="")
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    def localized_title(self, locale):
        return self.title_en if locale == "en" and self.title_en else self.title


class Application(Base):
    """One person's application to one campaign (unique), with its draw outcome."""

    __tablename__ = "points_campaign_applications"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", name="uq_points_campaign_applications_user"),
        CheckConstraint("status IN ('applied', 'won', 'waiting', 'accepted', 'declined', "
                        "'expired')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("points_campaigns.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    level: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=APPLIED)
    rank: Mapped[int | None] = mapped_column(Integer)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("points_transfers.id"))
