"""WebAuthn credentials (security keys and passkeys) and each user's WebAuthn user handle."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kairan.db.meta import Base, UTCDateTime, utcnow


class WebAuthnUser(Base):
    """The user handle an authenticator stores with a discoverable credential.

    Random, not the user id: the handle leaves the server (it is kept on the
    resident's phone or key), and must say nothing about the account.
    """

    __tablename__ = "stepup_webauthn_users"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    handle: Mapped[bytes] = mapped_column(LargeBinary(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebAuthnCredential(Base):
    """One registered credential; the public key only, never anything secret."""

    __tablename__ = "stepup_webauthn_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the authenticator's credential id (at most 1023 bytes by the specification)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    # COSE_Key bytes as the authenticator returned them
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # an unsigned 32-bit counter: BigInteger so 2**31 and above fit everywhere
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    nickname: Mapped[str] = mapped_column(String(60))
    # BE flag: the credential may be copied to other devices (a synced passkey)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    # BS flag as last seen
    backup_state: Mapped[bool] = mapped_column(Boolean, default=False)
    # UV flag at registration: the key checked a PIN or a fingerprint
    user_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
