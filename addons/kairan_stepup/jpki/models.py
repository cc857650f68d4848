"""The link between an account and a MyNumber card, for every provider (card-reader app,
the Digital Agency's app). Neither the certificate nor the provider's raw
identifier is kept: only a hash that a later proof can be compared with."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime


class MyNumberBinding(Base):
    __tablename__ = "stepup_mynumber_bindings"
    # One card (one certificate, one app subject) opens one account only.
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # an IMyNumberProvider's name
    # sha256 hex: jpki.verify.binding_subject, or oidc's hash of issuer and sub
    subject: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # when the card's certificate expires, shown on the settings page (None for oidc)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
