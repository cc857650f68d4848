"""The points ledger: programmes, accounts, transfers, lines, lots, and pending grants.

Double entry: every movement is a ``Transfer`` whose ``Line`` amounts sum to
zero; a line's amount is positive when the account gains points. An account
keeps its ``balance`` so that a payment reads one row, and the ledger proves
it (``kairan points verify``): the balance equals the sum of the account's
lines and, for a wallet, the sum of its lots.

Transfers, lines and lot entries are append-only. The ORM refuses to update
or delete them (``_refuse_ledger_changes``); on PostgreSQL a trigger refuses
it too (see the migration), so not even a hand-written statement can rewrite
history. A correction is a new transfer.
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
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import JSON

from kairan.db.meta import Base, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
BigId = BigInteger().with_variant(Integer(), "sqlite")

WALLET = "wallet"
MERCHANT = "merchant"
ISSUER = "issuer"
EXPIRED = "expired"
BRIDGE = "bridge"
SYSTEM_KINDS = (ISSUER, EXPIRED, BRIDGE)
ACCOUNT_KINDS = (WALLET, MERCHANT, *SYSTEM_KINDS)

EXPIRY_FIXED = "fixed"
EXPIRY_DAYS = "days"


class Programme(Base):
    """A points programme: what residents earn and where and until when they spend it.

    ``spend_from``/``spend_until`` are Asia/Tokyo dates, both included.
    ``expiry_kind`` is ``fixed`` (every lot expires at 00:00 JST on
    ``expires_on``) or ``days`` (a lot earned on JST date D expires at 00:00
    JST on D + ``expiry_days``). The budget is enforced by the issuing
    account's floor (``-budget``), inside the same row lock as every grant.
    """

    __tablename__ = "points_programmes"
    __table_args__ = (
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint(
            "(expiry_kind = 'fixed' AND expires_on IS NOT NULL AND expiry_days IS NULL) OR "
            "(expiry_kind = 'days' AND expiry_days > 0 AND expires_on IS NULL)",
            name="expiry_rule",
        ),
        CheckConstraint("spend_until >= spend_from", name="spending_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    spend_from: Mapped[date] = mapped_column(Date)
    spend_until: Mapped[date] = mapped_column(Date)
    expiry_kind: Mapped[str] = mapped_column(String(10))
    expires_on: Mapped[date | None] = mapped_column(Date)
    expiry_days: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    budget: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def localized_name(self, locale):
        return self.name_en if locale == "en" and self.name_en else self.name


class Account(Base):
    """One account of the ledger: a resident's wallet, a merchant's till, or a
    programme's issuing, expired or bridge account.

    ``min_balance`` is the floor the balance may never cross (0 for wallets,
    merchants and the expired account; ``-budget`` for the issuing account;
    none for the bridge). The CHECK constraint is the database's last word on
    it, whatever the code does.
    """

    __tablename__ = "points_accounts"
    __table_args__ = (
        CheckConstraint("min_balance IS NULL OR balance >= min_balance", name="floor"),
        CheckConstraint(
            "kind IN ('wallet', 'merchant', 'issuer', 'expired', 'bridge')", name="kind"
        ),
        CheckConstraint("kind = 'wallet' OR user_id IS NULL", name="wallet_owner"),
        CheckConstraint("(kind = 'merchant') = (merchant_id IS NOT NULL)", name="merchant_owner"),
        UniqueConstraint("programme_id", "user_id", name="uq_points_accounts_wallet"),
        UniqueConstraint("programme_id", "merchant_id", name="uq_points_accounts_merchant"),
        # one issuing, expired and bridge account per programme
        Index(
            "uq_points_accounts_system",
            "programme_id",
            "kind",
            unique=True,
            sqlite_where="kind IN ('issuer', 'expired', 'bridge')",
            postgresql_where="kind IN ('issuer', 'expired', 'bridge')",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    # A deleted user's wallet stays in the ledger, detached from the person.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The merchants add-on's id; no foreign key: that add-on may be disabled.
    merchant_id: Mapped[int | None] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    min_balance: Mapped[int | None] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def tracks_lots(self):
        return self.kind == WALLET


class Transfer(Base):
    """One movement of points: lines that sum to zero, with its reason and who did it.

    ``actor_id`` is the user who did it (None for the system: a scheduled
    job); ``on_behalf_of`` the resident when staff acted for them. Neither is
    a foreign key: the ledger outlives a deleted account. ``idempotency_key``
    is unique: a retried request finds the first transfer instead of making
    a second; ``request_hash`` tells a retry from a reuse with other values.
    """

    __tablename__ = "points_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    on_behalf_of: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    related_transfer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("points_transfers.id"), index=True
    )


class Line(Base):
    """One account's share of a transfer: positive gains points, negative loses them."""

    __tablename__ = "points_lines"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_transfers.id"),
                                             index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class Lot(Base):
    """Points a wallet received in one line, with the moment they expire.

    ``remaining`` is what is left of ``amount``; the lot entries say which
    lines took how much, so the ledger proves every lot.
    """

    __tablename__ = "points_lots"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_in_range"),
        Index("ix_points_lots_account_id_expires_at", "account_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("points_accounts.id"))
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_lines.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    # None: never expires (kept for refunds of points that had none)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class LotEntry(Base):
    """How a line changed a lot: positive when it created it, negative when it spent from it."""

    __tablename__ = "points_lot_entries"
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_lots.id"), index=True)
    line_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_lines.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class PendingGrant(Base):
    """A manual grant above the approval threshold, waiting for a second operator.

    ``status``: pending, approved (``transfer_id`` set), rejected. The
    approver can never be the requester (CHECK constraint and the service).
    """

    __tablename__ = "points_pending_grants"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by",
                        name="four_eyes"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("points_programmes.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    requested_by: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("points_transfers.id"))


APPEND_ONLY = (Transfer, Line, LotEntry)
APPEND_ONLY_TABLES = tuple(m.__tablename__ for m in APPEND_ONLY)


class LedgerImmutable(Exception):
    """Raised when code tries to change or remove a transfer, a line or a lot entry."""


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, APPEND_ONLY):
            raise LedgerImmutable(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, APPEND_ONLY) and session.is_modified(obj):
            raise LedgerImmutable(f"{type(obj).__name__} rows are never changed; "
                                  "record a new transfer instead")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_ledger_changes(state):
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in APPEND_ONLY_TABLES:
        raise LedgerImmutable(f"{table.name} rows are never changed or deleted")


# The bridge's tables (moves, credits, reconciliations) live in its sub-package.
from kairan_points.bridge import models as _bridge_models  # noqa: E402,F401

# The campaigns' tables live in their sub-package (see below).
from kairan_points.campaigns import models as _campaigns_models  # noqa: E402,F401

# The earning tables live in their sub-package; imported here so that loading this
# module knows every table of the add-on.
from kairan_points.earning import models as _earning_models  # noqa: E402,F401

# The payments' table lives in its sub-package; imported here so that loading this
# module (migrations, the test database) knows every table of the add-on.
from kairan_points.payments import models as _payments_models  # noqa: E402,F401

# The settlement's tables (closed periods, recorded totals) live in their sub-package.
from kairan_points.settlement import models as _settlement_models  # noqa: E402,F401
