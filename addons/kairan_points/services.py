"""Programmes, grants and corrections, what a wallet shows, and retrying a unit of work.

Everything here moves points through ``kairan_points.ledger.transfer`` and
nothing else. Functions take the database session first and never commit:
the caller's transaction (pyramid_tm, or ``run_in_transaction``) does.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan_points import ledger
from kairan_points.errors import (
    IdempotencyConflict,
    LedgerConflict,
    PointsRefused,
)
from kairan_points.models import (
    EXPIRY_DAYS,
    EXPIRY_FIXED,
    ISSUER,
    WALLET,
    Account,
    Line,
    Lot,
    PendingGrant,
    Programme,
    Transfer,
)

log = logging.getLogger(__name__)
TOKYO = ZoneInfo("Asia/Tokyo")


# -- time -------------------------------------------------------------------------------

def tokyo_midnight(day: date) -> datetime:
    """00:00 Asia/Tokyo on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, dtime(0, 0), tzinfo=TOKYO).astimezone(UTC)


def tokyo_date(when: datetime) -> date:
    return when.astimezone(TOKYO).date()


def expiry_for(programme, earned_at):
    """When points of ``programme`` earned at ``earned_at`` expire (aware UTC).

    ``fixed``: 00:00 JST on ``expires_on``. ``days``: 00:00 JST on the JST
    date of earning plus ``expiry_days`` (earned on 1 April with 30 days:
    expire at 00:00 on 1 May, so they can be spent through 30 April).
    """
    if programme.expiry_kind == EXPIRY_FIXED:
        return tokyo_midnight(programme.expires_on)
    return tokyo_midnight(tokyo_date(earned_at) + timedelta(days=programme.expiry_days))


def display_expiry(expires_at):
    """The date shown to people: "expires on 2025-03-01" means 00:00 JST that day."""
    return None if expires_at is None else tokyo_date(expires_at)


# -- programmes -----------------------------------------------------------------------------

PROGRAMME_FIELDS = ("code", "name", "name_en", "spend_from", "spend_until", "expiry_kind",
                    "expires_on", "expiry_days", "categories")


class ProgrammeRefused(PointsRefused):
    message = _("The programme could not be saved.")


def _check_programme(values):
    if values["spend_until"] < values["spend_from"]:
        raise ProgrammeRefused(_("The spending period ends before it starts."))
    if values["expiry_kind"] == EXPIRY_FIXED:
        if values.get("expires_on") is None:
            raise ProgrammeRefused(_("Enter the date on which the points expire."))
        values["expiry_days"] = None
    elif values["expiry_kind"] == EXPIRY_DAYS:
        if not values.get("expiry_days"):
            raise ProgrammeRefused(_("Enter after how many days the points expire."))
        values["expires_on"] = None
    else:
        raise ProgrammeRefused(_("Choose how the points expire."))
    return values


def create_programme(dbsession, values):
    """A new programme with its issuing, expired and bridge accounts; refused if the
    code is taken."""
    values = _check_programme({k: values.get(k) for k in PROGRAMME_FIELDS} |
                              {"budget": values["budget"]})
    values["categories"] = list(values.get("categories") or [])
    values["name_en"] = values.get("name_en") or ""
    if dbsession.scalar(select(Programme.id).where(Programme.code == values["code"])):
        raise ProgrammeRefused(_("Another programme already has this code."))
    budget = ledger.check_amount(values.pop("budget")) if values["budget"] else 0
    now = utcnow()
    programme = Programme(**values, budget=budget, created=now, modified=now)
    dbsession.add(programme)
    dbsession.flush()
    ledger.create_system_accounts(dbsession, programme)
    return programme


def update_programme(dbsession, programme, values):
    """Change a programme; the budget through ``ledger.set_budget`` (never below issued)."""
    merged = {k: getattr(programme, k) for k in PROGRAMME_FIELDS} | {
        k: values[k] for k in PROGRAMME_FIELDS if k in values}
    merged = _check_programme(merged)
    if merged["code"] != programme.code and dbsession.scalar(
            select(Programme.id).where(Programme.code == merged["code"])):
        raise ProgrammeRefused(_("Another programme already has this code."))
    if "budget" in values and values["budget"] != programme.budget:
        ledger.set_budget(dbsession, programme, values["budget"])
    for key, value in merged.items():
        if key == "categories":
            value = list(value or [])
        if key == "name_en":
            value = value or ""
        setattr(programme, key, value)
    programme.modified = utcnow()
    return programme


def programmes(dbsession):
    return list(dbsession.scalars(select(Programme).order_by(Programme.spend_from.desc(),
                                                             Programme.id)))


# -- grants and corrections -----------------------------------------------------------------

def grant(dbsession, programme, user_id, amount, reason, *, actor_id, idempotency_key,
          on_behalf_of=None, reason_code="grant", now=None, limit=ledger.LEDGER_MAX):
    """Points from the programme's budget into the resident's wallet, expiring per its rule."""
    amount = ledger.check_amount(amount, limit)
    now = now or utcnow()
    wallet = ledger.wallet_account(dbsession, programme.id, user_id)
    issuer_id = ledger.system_account_id(dbsession, programme.id, ISSUER)
    return ledger.transfer(
        dbsession, programme_id=programme.id, reason_code=reason_code, reason=reason,
        actor_id=actor_id, on_behalf_of=on_behalf_of, idempotency_key=idempotency_key,
        now=now,
        postings=[ledger.Posting(issuer_id, -amount),
                  ledger.Posting(wallet.id, amount, expires_at=expiry_for(programme, now))],
    )


def correct(dbsession, programme, user_id, amount, reason, *, actor_id, idempotency_key,
            now=None, limit=ledger.LEDGER_MAX):
    """Take points back from a wallet into the programme's budget (never below zero)."""
    amount = ledger.check_amount(amount, limit)
    wallet = ledger.wallet_account(dbsession, programme.id, user_id)
    issuer_id = ledger.system_account_id(dbsession, programme.id, ISSUER)
    return ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="correction", reason=reason,
        actor_id=actor_id, idempotency_key=idempotency_key, now=now,
        postings=[ledger.Posting(wallet.id, -amount), ledger.Posting(issuer_id, amount)],
    )


@dataclass
class GrantOutcome:
    """``transfer`` when the grant took effect, ``pending`` when it waits for approval."""

    transfer: Transfer | None = None
    pending: PendingGrant | None = None
    replayed: bool = False  # the same request again (a double click, a retry)


def request_grant(dbsession, programme, user_id, amount, reason, *, actor_id, idempotency_key,
                  threshold, limit, now=None):
    """A manual grant: at once up to ``threshold`` points, else a pending grant that a
    second operator must approve. The same key and values give the same outcome."""
    amount = ledger.check_amount(amount, limit)
    if amount <= threshold:
        record = grant(dbsession, programme, user_id, amount, reason, actor_id=actor_id,
                       idempotency_key=idempotency_key, now=now, limit=limit)
        return GrantOutcome(transfer=record, replayed=record.replayed)
    digest = ledger.request_hash(programme=programme.id, user=user_id, amount=amount,
                                 reason=reason, actor=actor_id)
    found = dbsession.scalars(
        select(PendingGrant).where(PendingGrant.idempotency_key == idempotency_key)).first()
    if found is not None:
        if found.request_hash != digest:
            raise IdempotencyConflict()
        return GrantOutcome(pending=found, replayed=True)
    pending = PendingGrant(
        programme_id=programme.id, user_id=user_id, amount=amount, reason=reason,
        requested_by=actor_id, requested_at=now or utcnow(),
        idempotency_key=idempotency_key, request_hash=digest, status="pending")
    dbsession.add(pending)
    dbsession.flush()
    return GrantOutcome(pending=pending)


class ApprovalRefused(PointsRefused):
    status = 403
    message = _("You cannot approve this grant.")


def _lock_pending(dbsession, pending_id):
    return dbsession.scalars(
        select(PendingGrant).where(PendingGrant.id == pending_id)
        .with_for_update().execution_options(populate_existing=True)
    ).first()


def approve_grant(dbsession, pending_id, approver_id, now=None):
    """The second operator's approval: the grant takes effect now. Refused for the
    requester, and for a grant already decided (two approvals never grant twice)."""
    pending = _lock_pending(dbsession, pending_id)
    if pending is None or pending.status != "pending":
        raise ApprovalRefused(_("This grant has already been decided."))
    if pending.requested_by == approver_id:
        raise ApprovalRefused(_("A grant must be approved by another operator."))
    if pending.user_id is None:
        raise ApprovalRefused(_("The resident's account no longer exists."))
    programme = dbsession.get(Programme, pending.programme_id)
    now = now or utcnow()
    record = grant(dbsession, programme, pending.user_id, pending.amount, pending.reason,
                   actor_id=approver_id, idempotency_key=f"pending-grant:{pending.id}",
                   now=now)
    pending.status = "approved"
    pending.decided_by = approver_id
    pending.decided_at = now
    pending.transfer_id = record.id
    return pending


def reject_grant(dbsession, pending_id, decider_id, now=None):
    pending = _lock_pending(dbsession, pending_id)
    if pending is None or pending.status != "pending":
        raise ApprovalRefused(_("This grant has already been decided."))
    if pending.requested_by == decider_id:
        raise ApprovalRefused(_("A grant must be approved by another operator."))
    pending.status = "rejected"
    pending.decided_by = decider_id
    pending.decided_at = now or utcnow()
    return pending


def pending_grants(dbsession):
    return list(dbsession.scalars(select(PendingGrant).where(PendingGrant.status == "pending")
                                  .order_by(PendingGrant.requested_at)))


# -- what a wallet shows ----------------------------------------------------------------------

@dataclass
class WalletView:
    programme: Programme
    account: Account
    spendable: int
    lots: list  # [(remaining, expires_at)] of unexpired lots, first to expire first


def wallets_of(dbsession, user_id, now=None):
    """The resident's wallets with their spendable points and unexpired lots."""
    now = now or utcnow()
    rows = dbsession.execute(
        select(Account, Programme).join(Programme, Programme.id == Account.programme_id)
        .where(Account.user_id == user_id, Account.kind == WALLET)
        .order_by(Programme.spend_from.desc(), Programme.id)
    ).all()
    found = []
    for account, programme in rows:
        lots = dbsession.execute(
            select(Lot.remaining, Lot.expires_at)
            .where(Lot.account_id == account.id, Lot.remaining > 0,
                   or_(Lot.expires_at.is_(None), Lot.expires_at > now))
            .order_by(Lot.expires_at.is_(None), Lot.expires_at, Lot.id)
        ).all()
        found.append(WalletView(programme, account, sum(r for r, _e in lots),
                                [tuple(row) for row in lots]))
    return found


def history(dbsession, user_id, page=1, page_size=50):
    """The transfers that touched the resident's wallets, newest first:
    [(transfer, programme, amount)] and whether there is a next page."""
    query = (
        select(Transfer, Programme, Line.amount)
        .join(Line, Line.transfer_id == Transfer.id)
        .join(Account, Account.id == Line.account_id)
        .join(Programme, Programme.id == Transfer.programme_id)
        .where(Account.user_id == user_id, Account.kind == WALLET)
        .order_by(Transfer.at.desc(), Transfer.id.desc())
        .offset((page - 1) * page_size).limit(page_size + 1)
    )
    rows = dbsession.execute(query).all()
    return rows[:page_size], len(rows) > page_size


def transfer_of_user(dbsession, transfer_id, user_id):
    """(transfer, programme, amount) if the transfer touched the user's wallet, else None."""
    return dbsession.execute(
        select(Transfer, Programme, Line.amount)
        .join(Line, Line.transfer_id == Transfer.id)
        .join(Account, Account.id == Line.account_id)
        .join(Programme, Programme.id == Transfer.programme_id)
        .where(Transfer.id == transfer_id, Account.user_id == user_id, Account.kind == WALLET)
    ).first()


# -- retrying a unit of work ------------------------------------------------------------------

def is_retryable(error):
    """Worth running the whole unit of work again: a serialization failure or deadlock
    (SQLSTATE class 40), SQLite's busy database, a duplicate key from a concurrent insert
    (the retry then finds the winner's row), or a ``LedgerConflict``."""
    if isinstance(error, LedgerConflict | IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        if sqlstate.startswith("40"):
            return True
        if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
            return True
    return False


def run_in_transaction(session_factory, work, attempts=5, backoff=0.01):
    """``work(dbsession)`` in a transaction of its own, committed; retried on a retryable
    error with a short back-off; anything else (a refusal too) is raised after rollback."""
    for attempt in range(1, attempts + 1):
        dbsession = session_factory()
        try:
            result = work(dbsession)
            dbsession.commit()
            return result
        except Exception as error:
            dbsession.rollback()
            if attempt == attempts or not is_retryable(error):
                raise
            log.info("retrying a points transaction (attempt %d): %s", attempt, error)
            time.sleep(backoff * attempt)
        finally:
            dbsession.close()


def count_wallets(dbsession):
    return dbsession.scalar(select(func.count()).select_from(Account)
                            .where(Account.kind == WALLET))
