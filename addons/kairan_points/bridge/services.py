"""Moving points to and from the regional currency app, through the ledger.

Out: ``move_out`` debits the wallet (``bridge.out``: wallet → the programme's
``bridge`` account) and writes the ``BridgeMove`` in the same transaction.
``send_due`` (``kairan points bridge send``) claims due moves, calls the
service outside any transaction, and records the answer with a guarded
update: accepted → ``sent``; refused → ``reverted`` with a new
``bridge.revert`` transfer back to the wallet; unknown → retried later with
exponential back-off and jitter, ``failed`` after the last attempt.

In: ``credit_inbound`` credits a verified webhook (``bridge.in``: bridge
account → wallet), once per service transaction id. The bridge account has
no floor: its balance is what left Kairan minus what came back, and it may
go negative (points that were born in the other app).

Functions take the database session first and never commit, except
``send_due``, which runs its own short transactions.
"""

import logging
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan_points import ledger
from kairan_points.bridge.interfaces import (
    BridgeRefusal,
    BridgeUnavailable,
    ICurrencyBridge,
    OutboundMove,
)
from kairan_points.bridge.models import (
    FAILED,
    PENDING,
    REVERTED,
    SENDING,
    SENT,
    BridgeCredit,
    BridgeMove,
    BridgeReconciliation,
)
from kairan_points.errors import IdempotencyConflict, InsufficientPoints, PointsRefused
from kairan_points.models import BRIDGE, Line, Programme
from kairan_points.services import (
    expiry_for,
    run_in_transaction,
    tokyo_date,
    tokyo_midnight,
)

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=5)


class BridgeRefused(PointsRefused):
    message = _("The points could not be moved to the regional currency app.")


class InboundRefused(PointsRefused):
    status = 422
    message = _("The points could not be credited.")


def bridge_of(registry):
    """The registered ``ICurrencyBridge``, or None when the bridge is off."""
    return registry.queryUtility(ICurrencyBridge)


# -- out -------------------------------------------------------------------------------------

def bridgeable_programmes(dbsession, settings, now=None):
    """Programmes whose points may be moved now: in their spending period (JST) and, if
    ``kairan.points.bridge.programmes`` names some, among them."""
    today = tokyo_date(now or utcnow())
    query = select(Programme).where(Programme.spend_from <= today,
                                    Programme.spend_until >= today).order_by(Programme.id)
    codes = settings.get("kairan.points.bridge.programmes") or []
    if codes:
        query = query.where(Programme.code.in_(codes))
    return list(dbsession.scalars(query))


def check_programme(dbsession, settings, programme, now):
    if programme is None or programme.id not in {
            p.id for p in bridgeable_programmes(dbsession, settings, now)}:
        raise BridgeRefused(_("The points of this programme cannot be moved now."))
    return programme


def check_spendable(dbsession, programme, user_id, amount, now):
    """The wallet if ``amount`` can be moved now; else InsufficientPoints (the ledger
    checks again under the lock: this is for a clear message)."""
    wallet = ledger.wallet_account(dbsession, programme.id, user_id, create=False)
    spendable = ledger.spendable_balance(dbsession, wallet.id, now) if wallet else 0
    if amount > spendable:
        raise InsufficientPoints(_("You can move at most ${points} points of this programme.",
                                   mapping={"points": f"{spendable:,}"}))
    return wallet


@dataclass
class MoveOutcome:
    move: BridgeMove
    replayed: bool


def find_replay(dbsession, user_id, form_key):
    return dbsession.scalars(
        select(BridgeMove).join(ledger.Transfer, ledger.Transfer.id == BridgeMove.transfer_id)
        .where(ledger.Transfer.idempotency_key == f"bridge.out:{user_id}:{form_key}")).first()


def move_out(dbsession, *, user_id, programme, amount, form_key, settings, now=None,
             check_period=True):
    """Take ``amount`` points of ``programme`` from the resident's wallet into the outbox.

    The same ``form_key`` with the same values gives the first move (``replayed``);
    with other values, ``IdempotencyConflict``. Every refusal is raised before
    anything is written.
    """
    now = now or utcnow()
    if not isinstance(form_key, str) or not 16 <= len(form_key) <= 100:
        raise BridgeRefused(_("The form has expired; please start again."))
    found = find_replay(dbsession, user_id, form_key)
    if found is not None:
        if (found.programme_id, found.amount) != (getattr(programme, "id", None), amount):
            raise IdempotencyConflict()
        return MoveOutcome(found, True)
    if check_period:
        check_programme(dbsession, settings, programme, now)
    amount = ledger.check_amount(amount, settings["kairan.points.bridge.max_amount"])
    wallet = check_spendable(dbsession, programme, user_id, amount, now)
    bridge_id = ledger.system_account_id(dbsession, programme.id, BRIDGE)
    record = ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="bridge.out", actor_id=user_id,
        idempotency_key=f"bridge.out:{user_id}:{form_key}", now=now,
        postings=[ledger.Posting(wallet.id, -amount), ledger.Posting(bridge_id, amount)])
    move = BridgeMove(
        user_id=user_id, remote_user=str(user_id), programme_id=programme.id, amount=amount,
        idempotency_key="kp-" + secrets.token_hex(16), transfer_id=record.id,
        status=PENDING, attempts=0, next_attempt_at=now, last_error="", created=now)
    dbsession.add(move)
    dbsession.flush()
    return MoveOutcome(move, False)


# -- the outbox worker -------------------------------------------------------------------------

def backoff(attempts, base_seconds, rng=random):
    """The delay before the next attempt after ``attempts`` attempts: ``base * 2**(n-1)``,
    at most six hours, times a random factor from 0.5 to 1 (so that many moves that
    failed together do not all come back at the same second)."""
    delay = min(timedelta(seconds=base_seconds * 2 ** min(attempts - 1, 30)), MAX_BACKOFF)
    return delay * rng.uniform(0.5, 1.0)


def _due(now):
    return or_(and_(BridgeMove.status == PENDING, BridgeMove.next_attempt_at <= now),
               and_(BridgeMove.status == SENDING, BridgeMove.claimed_until < now))


def claim(dbsession, now, limit=20):
    """Claim up to ``limit`` due moves for this worker: [(move id, claim token)].

    PostgreSQL skips rows another worker holds (``FOR UPDATE SKIP LOCKED``);
    on both databases the guarded ``UPDATE ... WHERE`` (still due) is what makes
    a claim exclusive. A claim lapses after five minutes (a worker that died
    mid-send), and the move is then sent again with the same key.
    """
    query = select(BridgeMove.id).where(_due(now)).order_by(
        BridgeMove.next_attempt_at, BridgeMove.id).limit(limit)
    if dbsession.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(dbsession.scalars(query))
    if not ids:
        return []
    token = secrets.token_hex(16)
    dbsession.execute(
        update(BridgeMove).where(BridgeMove.id.in_(ids), _due(now))
        .values(status=SENDING, claim_token=token, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False))
    claimed = dbsession.scalars(select(BridgeMove.id).where(BridgeMove.claim_token == token)
                                .order_by(BridgeMove.id))
    return [(move_id, token) for move_id in claimed]


def _mine(move_id, token):
    return and_(BridgeMove.id == move_id, BridgeMove.status == SENDING,
                BridgeMove.claim_token == token)


def record_accepted(dbsession, move_id, token, accepted, now):
    result = dbsession.execute(
        update(BridgeMove).where(_mine(move_id, token))
        .values(status=SENT, remote_id=accepted.remote_id, remote_at=accepted.at,
                attempts=BridgeMove.attempts + 1, last_attempt_at=now, last_error="",
                claim_token=None, claimed_until=None, finished_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_unavailable(dbsession, move_id, token, error, now, *, max_attempts, base_seconds,
                       rng=random):
    move = dbsession.get(BridgeMove, move_id, populate_existing=True)
    if move is None or move.status != SENDING or move.claim_token != token:
        return None
    attempts = move.attempts + 1
    status = FAILED if attempts >= max_attempts else PENDING
    later = now + backoff(attempts, base_seconds, rng)
    result = dbsession.execute(
        update(BridgeMove).where(_mine(move_id, token))
        .values(status=status, attempts=attempts, last_attempt_at=now,
                last_error=str(error)[:500], next_attempt_at=later, claim_token=None,
                claimed_until=None, finished_at=now if status == FAILED else None)
        .execution_options(synchronize_session=False))
    return status if result.rowcount == 1 else None


def revert(dbsession, move, reason, now):
    """Give a refused move's points back to the wallet: a new ``bridge.revert`` transfer
    (the original is never changed). The wallet is the one the points left."""
    wallet_id = dbsession.scalar(select(Line.account_id).where(
        Line.transfer_id == move.transfer_id, Line.amount < 0))
    bridge_id = ledger.system_account_id(dbsession, move.programme_id, BRIDGE)
    programme = dbsession.get(Programme, move.programme_id)
    return ledger.transfer(
        dbsession, programme_id=move.programme_id, reason_code="bridge.revert",
        reason=str(reason)[:200], idempotency_key=f"bridge.revert:{move.id}", now=now,
        related_transfer_id=move.transfer_id,
        postings=[ledger.Posting(bridge_id, -move.amount),
                  ledger.Posting(wallet_id, move.amount,
                                 expires_at=expiry_for(programme, now))])


def record_refused(dbsession, move_id, token, error, now):
    result = dbsession.execute(
        update(BridgeMove).where(_mine(move_id, token))
        .values(status=REVERTED, attempts=BridgeMove.attempts + 1, last_attempt_at=now,
                last_error=str(error)[:500], claim_token=None, claimed_until=None,
                finished_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    move = dbsession.get(BridgeMove, move_id, populate_existing=True)
    move.revert_transfer_id = revert(dbsession, move, error, now).id
    return True


def deliver(session_factory, bridge, move_id, token, settings, now):
    """Send one claimed move and record the answer; return the outcome's name."""
    def read(dbsession):
        move = dbsession.get(BridgeMove, move_id)
        code = dbsession.scalar(select(Programme.code).where(
            Programme.id == move.programme_id))
        return OutboundMove(move.idempotency_key, move.remote_user, code, move.amount)

    outbound = run_in_transaction(session_factory, read)
    # The call is outside any transaction: no row lock is held while the service thinks.
    try:
        accepted = bridge.send(outbound)
    except BridgeRefusal as error:
        done = run_in_transaction(session_factory, lambda s, error=error: record_refused(
            s, move_id, token, error, now))
        log.warning("bridge move %s refused by the service: %s", move_id, error)
        return "reverted" if done else "lost claim"
    except Exception as error:  # noqa: BLE001 - any failure of a connector: retried, counted
        if not isinstance(error, BridgeUnavailable):
            log.exception("bridge move %s: the connector failed", move_id)
            error = BridgeUnavailable(f"connector error: {type(error).__name__}")
        status = run_in_transaction(session_factory, lambda s, error=error: record_unavailable(
            s, move_id, token, error, now,
            max_attempts=settings["kairan.points.bridge.max_attempts"],
            base_seconds=settings["kairan.points.bridge.backoff_seconds"]))
        log.info("bridge move %s not delivered (%s): %s", move_id, status, error)
        return {"pending": "retry later", "failed": "failed"}.get(status, "lost claim")
    done = run_in_transaction(
        session_factory, lambda s: record_accepted(s, move_id, token, accepted, now))
    return "sent" if done else "lost claim"


def send_due(session_factory, bridge, settings, now=None, batch=20, limit=10_000):
    """Deliver every due move (at most ``limit``); return a Counter of outcomes.

    Safe to run from many processes at once: each move is claimed by one worker,
    and the service's idempotency key covers a claim taken over after a crash.
    """
    outcomes = Counter()
    while sum(outcomes.values()) < limit:
        # the time of each batch: a long run's later claims get their own full lease
        moment = now or utcnow()
        claimed = run_in_transaction(session_factory, lambda s, m=moment: claim(s, m, batch))
        if not claimed:
            break
        for move_id, token in claimed:
            outcomes[deliver(session_factory, bridge, move_id, token, settings, moment)] += 1
    return outcomes


def retry_failed(dbsession, move_id, now=None):
    """An operator sends a failed move again: back to ``pending``, due now, attempts
    counted afresh. True if it was failed (a guarded update: two clicks retry once)."""
    result = dbsession.execute(
        update(BridgeMove).where(BridgeMove.id == move_id, BridgeMove.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now or utcnow(), finished_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


# -- in --------------------------------------------------------------------------------------

@dataclass
class CreditOutcome:
    credit: BridgeCredit
    replayed: bool


def _inbound_user(dbsession, remote_user):
    from kairan.accounts.models import User

    if not remote_user.isdigit() or len(remote_user) > 12:
        return None
    user = dbsession.get(User, int(remote_user))
    return user if user is not None and user.status == "active" else None


def credit_inbound(dbsession, credit, settings, now=None):
    """Credit a verified ``InboundCredit`` to the resident's wallet, once per service
    transaction id (the same id again: the first credit, ``replayed``; with other
    values: ``IdempotencyConflict``). ``InboundRefused`` for an unknown resident or
    programme, or an amount the ledger refuses."""
    now = now or utcnow()
    user = _inbound_user(dbsession, credit.remote_user)
    programme = dbsession.scalars(select(Programme).where(
        Programme.code == credit.programme)).first()
    found = dbsession.scalars(select(BridgeCredit).where(
        BridgeCredit.remote_id == credit.remote_id)).first()
    if found is not None:
        if (found.user_id, found.programme_id, found.amount) != (
                getattr(user, "id", None), getattr(programme, "id", None), credit.amount):
            raise IdempotencyConflict()
        return CreditOutcome(found, True)
    if user is None:
        raise InboundRefused(_("There is no such resident."))
    if programme is None or tokyo_date(now) > programme.spend_until:
        raise InboundRefused(_("The points of this programme cannot be moved now."))
    amount = ledger.check_amount(credit.amount, settings["kairan.points.bridge.max_amount"])
    wallet = ledger.wallet_account(dbsession, programme.id, user.id)
    bridge_id = ledger.system_account_id(dbsession, programme.id, BRIDGE)
    record = ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="bridge.in",
        idempotency_key=f"bridge.in:{credit.remote_id}", now=now,
        postings=[ledger.Posting(bridge_id, -amount),
                  ledger.Posting(wallet.id, amount, expires_at=expiry_for(programme, now))])
    if record.replayed:
        # a concurrent delivery of the same credit won: its row is there now
        return CreditOutcome(dbsession.scalars(select(BridgeCredit).where(
            BridgeCredit.transfer_id == record.id)).one(), True)
    row = BridgeCredit(remote_id=credit.remote_id, user_id=user.id, programme_id=programme.id,
                       amount=amount, transfer_id=record.id, remote_at=credit.at,
                       received_at=now)
    dbsession.add(row)
    dbsession.flush()
    return CreditOutcome(row, False)


# -- what the pages show ---------------------------------------------------------------------

def moves_of(dbsession, user_id, limit=50):
    """The resident's moves out and credits in, newest first: [(kind, row, programme)]."""
    moves = dbsession.execute(
        select(BridgeMove, Programme).join(Programme, Programme.id == BridgeMove.programme_id)
        .where(BridgeMove.user_id == user_id)
        .order_by(BridgeMove.created.desc(), BridgeMove.id.desc()).limit(limit)).all()
    credits = dbsession.execute(
        select(BridgeCredit, Programme)
        .join(Programme, Programme.id == BridgeCredit.programme_id)
        .where(BridgeCredit.user_id == user_id)
        .order_by(BridgeCredit.received_at.desc(), BridgeCredit.id.desc()).limit(limit)).all()
    rows = [("out", move, programme) for move, programme in moves] + \
        [("in", credit, programme) for credit, programme in credits]
    rows.sort(key=lambda r: r[1].created if r[0] == "out" else r[1].received_at, reverse=True)
    return rows[:limit]


def status_counts(dbsession):
    return dict(dbsession.execute(select(BridgeMove.status, func.count())
                                  .group_by(BridgeMove.status)).all())


# -- reconciliation --------------------------------------------------------------------------

def reconcile(dbsession, bridge, day, now=None):
    """Compare the service's transactions of the JST ``day`` with ours; store and return
    the ``BridgeReconciliation``. Both sides are dated by the service's clock
    (``remote_at``), so a move sent at 23:59:59 is on the same day on both.

    Problems: ``missing_here`` (the service has it, we do not, or not as sent),
    ``missing_there`` (we have it, the service does not), ``amount`` and ``user``
    (both have it, with other values). Raises ``BridgeUnavailable``.
    """
    now = now or utcnow()
    theirs = bridge.transactions(day)
    start, end = tokyo_midnight(day), tokyo_midnight(day + timedelta(days=1))
    ours_out = {m.idempotency_key: m for m in dbsession.scalars(
        select(BridgeMove).where(BridgeMove.status == SENT, BridgeMove.remote_at >= start,
                                 BridgeMove.remote_at < end))}
    ours_in = {c.remote_id: c for c in dbsession.scalars(
        select(BridgeCredit).where(BridgeCredit.remote_at >= start,
                                   BridgeCredit.remote_at < end))}
    their_out = {t.reference: t for t in theirs if t.direction == "out"}
    their_in = {t.remote_id: t for t in theirs if t.direction == "in"}
    # what the service dated this day and we did not: look it up once, whatever its date
    elsewhere = {m.idempotency_key: m for m in dbsession.scalars(select(BridgeMove).where(
        BridgeMove.idempotency_key.in_(sorted(set(their_out) - set(ours_out)))))}
    elsewhere_in = {c.remote_id: c for c in dbsession.scalars(select(BridgeCredit).where(
        BridgeCredit.remote_id.in_(sorted(set(their_in) - set(ours_in)))))}
    problems = []

    def problem(kind, direction, reference, ours=None, theirs_=None, note=""):
        problems.append({"kind": kind, "direction": direction, "reference": reference,
                         "ours": ours, "theirs": theirs_, "note": note})

    for direction, mine, other, other_rows in (("out", ours_out, their_out, elsewhere),
                                                ("in", ours_in, their_in, elsewhere_in)):
        for reference, remote in sorted(other.items()):
            row = mine.get(reference)
            if row is None:
                row = other_rows.get(reference)
                if row is None:
                    problem("missing_here", direction, reference, theirs_=remote.amount)
                    continue
                if direction == "out" and row.status != SENT:
                    problem("missing_here", direction, reference, ours=row.amount,
                            theirs_=remote.amount, note=f"ours is {row.status}")
                    continue
            if row.amount != remote.amount:
                problem("amount", direction, reference, ours=row.amount,
                        theirs_=remote.amount)
            elif row.user_id is not None and str(row.user_id) != remote.remote_user:
                problem("user", direction, reference, ours=row.amount, theirs_=remote.amount,
                        note=f"user {row.user_id} here, {remote.remote_user} there")
        for reference, row in sorted(mine.items()):
            if reference not in other:
                problem("missing_there", direction, reference, ours=row.amount)
    report = BridgeReconciliation(day=day.isoformat(), ran_at=now, ok=not problems,
                                  ours=len(ours_out) + len(ours_in), theirs=len(theirs),
                                  problems=problems)
    dbsession.add(report)
    dbsession.flush()
    return report


def latest_reconciliations(dbsession, limit=10):
    return list(dbsession.scalars(select(BridgeReconciliation).order_by(
        BridgeReconciliation.ran_at.desc(), BridgeReconciliation.id.desc()).limit(limit)))
