"""Applications, their screening history, merchants, branches and staff.

An application keeps what the applicant sent (branches as a JSON snapshot);
approval copies it into a ``Merchant`` with its ``MerchantBranch`` rows and
``MerchantStaff`` links. Both carry an append-only history of events (who,
when, what) that the screening pages and the exports show.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kairan.db.meta import Base, UTCDateTime, utcnow

# unconfirmed: e-mail not yet confirmed; submitted: in the operators' queue;
# info_requested: waiting for the applicant's answer; approved / rejected: decided;
# withdrawn: the applicant withdrew it before a decision (it leaves the queue).
APPLICATION_STATUSES = ("unconfirmed", "submitted", "info_requested", "approved", "rejected",
                        "withdrawn")
OPEN_STATUSES = ("submitted", "info_requested")
# what the applicant may still withdraw from the status link
WITHDRAWABLE_STATUSES = ("unconfirmed", "submitted", "info_requested")
MERCHANT_STATUSES = ("active", "suspended")


class MerchantApplication(Base):
    __tablename__ = "merchant_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="unconfirmed")
    legal_name: Mapped[str] = mapped_column(String(200))
    # legal name without spaces and in NFKC form: the duplicate check compares these
    legal_name_key: Mapped[str] = mapped_column(String(200), index=True)
    trade_name: Mapped[str] = mapped_column(String(200))
    trade_name_en: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(30))
    programmes: Mapped[list] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)  # digits only
    # [{name, postal_code, address, area, phone, hours}]
    branches: Mapped[list] = mapped_column(JSON, default=list)
    declared_not_antisocial: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_not_adult_business: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_no_cash_equivalents: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10), default="ja")
    # SHA-256 of the secret link mailed to the applicant (the raw token is never stored)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_expires: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list["ApplicationEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="ApplicationEvent.id",
        back_populates="application")


class ApplicationEvent(Base):
    """One step of an application: submitted, confirmed, question, answer, approved, rejected."""

    __tablename__ = "merchant_app_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("merchant_applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    # the operator; None when the applicant acted (they have no account)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[MerchantApplication] = relationship(back_populates="events")


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("merchant_applications.id", ondelete="SET NULL"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(30), index=True)
    programmes: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True, default="active")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branches: Mapped[list["MerchantBranch"]] = relationship(
        cascade="all, delete-orphan", order_by="MerchantBranch.id", back_populates="merchant")
    events: Mapped[list["MerchantEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="MerchantEvent.id")

    def localized_name(self, locale):
        return self.name_en if locale == "en" and self.name_en else self.name


class MerchantBranch(Base):
    """One shop: the place a resident pays at, with its own QR code.

    A branch is never deleted (payments refer to it): a closed one (``closed_at``
    set) leaves the directory and its code no longer takes payments."""

    __tablename__ = "merchant_branches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(String(8))  # NNN-NNNN
    address: Mapped[str] = mapped_column(String(300))
    area: Mapped[str] = mapped_column(String(30), index=True)
    phone: Mapped[str] = mapped_column(String(20))  # as displayed, e.g. 022-123-4567
    hours: Mapped[str] = mapped_column(Text, default="")
    # raised by every rotation: codes signed with an older version stop working
    qr_version: Mapped[int] = mapped_column(Integer, default=1)
    qr_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    merchant: Mapped[Merchant] = relationship(back_populates="branches")

    @property
    def closed(self):
        return self.closed_at is not None

    def localized_name(self, locale):
        return self.name_en if locale == "en" and self.name_en else self.name


class MerchantStaff(Base):
    __tablename__ = "merchant_staff"

    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MerchantEvent(Base):
    """approved, suspended, reinstated, qr_rotated, staff_added, staff_removed, shop_changed,
    branch_added, branch_closed, profile_changed."""

    __tablename__ = "merchant_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
