"""Paying at a shop and refunds: checks, then one ledger transfer, then the payment row.

A payment moves points from the resident's wallet to the merchant's account
in the programme through ``ledger.transfer`` (reason ``payment``); a refund
moves them back (reason ``refund``, ``related_transfer_id`` = the payment's
transfer) as a new lot with the programme's expiry rule. Every refusal is a
``PointsRefused`` raised before anything is written.
"""

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import make_transient_to_detached

from kairan.audit.models import AuditEntry
from kairan.db.meta import UTCDateTime, utcnow
from kairan.i18n.translation import _
from kairan_points import ledger
from kairan_points.errors import IdempotencyConflict, InsufficientPoints, PointsRefused
from kairan_points.models import Programme
from kairan_points.payments.models import OneTimeCode, Payment
from kairan_points.services import expiry_for, tokyo_date, tokyo_midnight

# No 0/O, 1/I/L: a receipt code read aloud or from a screen is never misread.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 6
PAYMENT_TARGET = "points-payment:"  # an audit entry's target: this and the payment's id


class PaymentRefused(PointsRefused):
    message = _("The payment was refused.")


class RefundRefused(PointsRefused):
    message = _("The refund was refused.")


def receipt_code():
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))


def eligible_programmes(dbsession, merchant, user_id, now):
    """The programmes the merchant takes (its programme codes, its category allowed),
    each a row with ``id``, ``name``, ``name_en`` and ``spendable``: what the resident
    ``user_id`` can spend in it now (0 without a wallet). One statement."""
    rows = dbsession.execute(_eligible_statement(), {
        "codes": list(merchant.programmes), "user_id": user_id, "now": now})
    return [row for row in rows if not row.categories or merchant.category in row.categories]


@functools.cache
def _eligible_statement():
    """``eligible_programmes``'s statement, built once."""
    from kairan_points.models import WALLET, Account

    wallet_id = (select(Account.id)
                 .where(Account.programme_id == Programme.id,
                        Account.user_id == bindparam("user_id"), Account.kind == WALLET)
                 # two levels down (inside the lots' sum): correlated by name
                 .correlate(Programme).scalar_subquery())
    spendable = ledger.spendable_sum(wallet_id, bindparam("now", type_=UTCDateTime))
    return (select(Programme.id, Programme.name, Programme.name_en, Programme.categories,
                   spendable.scalar_subquery().label("spendable"))
            .where(Programme.code.in_(bindparam("codes", expanding=True)))
            .order_by(Programme.id))


def check_payable(scan, programme, now):
    """Refuse (PaymentRefused) a payment the shop or the programme does not allow."""
    if scan is None:
        raise PaymentRefused(_("This code is not a shop's code of this site, or it is no "
                               "longer valid."))
    merchant = scan.merchant
    if getattr(scan.branch, "closed", False):
        raise PaymentRefused(_("This shop has closed: it no longer takes payments with "
                               "points."))
    if not scan.can_take_payments or merchant.status != "active":
        raise PaymentRefused(_("This shop cannot take payments at the moment."))
    if programme is None or programme.code not in merchant.programmes:
        raise PaymentRefused(_("This shop does not take the points of this programme."))
    if programme.categories and merchant.category not in programme.categories:
        raise PaymentRefused(_("The points of this programme cannot be spent at this kind "
                               "of shop."))
    today = tokyo_date(now)
    if not programme.spend_from <= today <= programme.spend_until:
        raise PaymentRefused(
            _("The points of this programme can be spent from ${start} to ${end}.",
              mapping={"start": f"{programme.spend_from:%Y-%m-%d}",
                       "end": f"{programme.spend_until:%Y-%m-%d}"}))


def check_balance(dbsession, programme, user_id, amount, now):
    """The resident's wallet (a row of ``ledger.wallet_balances``: ``id``, ``balance``,
    ``spendable``) if it can spend ``amount`` now; else InsufficientPoints (the ledger
    checks again under the lock: this is for a clear message). One statement."""
    return check_spendable(
        ledger.wallet_balances(dbsession, programme.id, user_id, now), amount)


def check_spendable(wallet, amount):
    """``wallet`` (a row of ``wallet_balances`` or ``pay_context``, or None) if it can
    spend ``amount``; else InsufficientPoints, saying so if expired points are why."""
    if wallet is None:
        raise InsufficientPoints()
    spendable = wallet.spendable
    if spendable < amount <= wallet.balance:
        raise InsufficientPoints(_("Some of your points have expired: ${points} points can "
                                   "still be spent.", mapping={"points": f"{spendable:,}"}))
    if amount > spendable:
        raise InsufficientPoints()
    return wallet


def find_replay(dbsession, user_id, idempotency_key):
    """The resident's payment made with this form's key before, or None."""
    key = f"pay:{user_id}:{idempotency_key}"
    return dbsession.scalars(_replay_statement(), {"key": key}).first()


@functools.cache
def _replay_statement():
    """``find_replay``'s statement, built once (building costs more CPU than running it)."""
    return select(Payment).join(ledger.Transfer, ledger.Transfer.id == Payment.transfer_id) \
        .where(ledger.Transfer.idempotency_key == bindparam("key"))


@dataclass(frozen=True)
class Terms:
    """What a payment needs of its programme: a snapshot read by ``pay_context``."""

    id: int
    code: str
    name: str
    name_en: str
    categories: tuple
    spend_from: date
    spend_until: date

    localized_name = Programme.localized_name


@dataclass(frozen=True)
class PayContext:
    """Everything a payment form reads before the ledger, from ``pay_context``.

    ``programme``: ``Terms`` or None (no such programme). ``wallet``: a row like
    ``ledger.wallet_balances``'s with ``till_id`` (None: the resident has no wallet
    in it). ``replay``: the resident's payment made with this form's key before
    (``id``, ``programme_id``, ``amount``), or None.
    """

    programme: Terms | None
    wallet: object
    replay: object


def pay_context(dbsession, *, programme_id, user_id, idempotency_key, merchant_id, now):
    """The ``PayContext`` of a payment form, in ONE statement: the programme, the
    resident's wallet with its spendable sum and the shop's till in it, and the
    payment made with the form's key before (``find_replay``). ``programme_id`` and
    ``merchant_id`` may be None (nothing of them is found then)."""
    row = dbsession.execute(_context_statement(), {
        "programme_id": programme_id, "user_id": user_id, "merchant_id": merchant_id,
        "now": now, "key": f"pay:{user_id}:{idempotency_key}" if idempotency_key else None,
    }).one()
    terms = None if row.p_id is None else Terms(
        id=row.p_id, code=row.code, name=row.name, name_en=row.name_en or "",
        categories=tuple(row.categories or ()), spend_from=row.spend_from,
        spend_until=row.spend_until)
    wallet = None if row.wallet_id is None else _Wallet(
        id=row.wallet_id, balance=row.balance, spendable=row.spendable, till_id=row.till_id)
    replay = None if row.replay_id is None else _Replay(
        id=row.replay_id, programme_id=row.replay_programme, amount=row.replay_amount)
    return PayContext(terms, wallet, replay)


@dataclass(frozen=True)
class _Wallet:
    id: int
    balance: int
    spendable: int
    till_id: int | None


@dataclass(frozen=True)
class _Replay:
    id: int
    programme_id: int
    amount: int


@functools.cache
def _context_statement():
    """``pay_context``'s statement, built once: outer joins from a one-row select, so
    that it always answers one row whatever is missing."""
    from sqlalchemy import and_, literal

    from kairan_points.models import WALLET, Account

    programme, wallet = Programme.__table__.alias("p"), Account.__table__.alias("w")
    transfer, replay = ledger.Transfer.__table__.alias("t"), Payment.__table__.alias("r")
    one = select(literal(1).label("one")).subquery("o")
    joined = (
        one.outerjoin(programme, programme.c.id == bindparam("programme_id"))
        .outerjoin(wallet, and_(wallet.c.programme_id == programme.c.id,
                                wallet.c.user_id == bindparam("user_id"),
                                wallet.c.kind == WALLET))
        .outerjoin(transfer.join(replay, replay.c.transfer_id == transfer.c.id),
                   transfer.c.idempotency_key == bindparam("key")))
    spendable = ledger.spendable_sum(wallet.c.id, bindparam("now", type_=UTCDateTime))
    return select(
        programme.c.id.label("p_id"), programme.c.code, programme.c.name,
        programme.c.name_en, programme.c.categories, programme.c.spend_from,
        programme.c.spend_until, wallet.c.id.label("wallet_id"), wallet.c.balance,
        spendable.scalar_subquery().label("spendable"),
        ledger.till_id_of(programme.c.id).label("till_id"),
        replay.c.id.label("replay_id"), replay.c.programme_id.label("replay_programme"),
        replay.c.amount.label("replay_amount"),
    ).select_from(joined)


@dataclass
class PaymentOutcome:
    payment: Payment
    replayed: bool


def pay(dbsession, *, user_id, scan, programme, amount, idempotency_key, max_payment,
        now=None, one_time=None, wallet=None, audit_entry=None):
    """The resident ``user_id`` pays ``amount`` points of ``programme`` at the scanned shop.

    The same ``idempotency_key`` (per resident) gives the first payment again
    (``replayed``); with other values it is refused (409). ``one_time``: the
    shop's one-time code being redeemed (its amount must be ``amount``).
    ``wallet``: what ``check_balance`` gave the caller for this very payment, in
    this transaction, after the caller looked for a replay with ``find_replay``
    itself (the pay form's POST): neither is done twice. The ledger looks the key
    up again under its locks and checks the balance there in any case.
    ``audit_entry``: the values of an audit entry (``kairan.audit.services.entry_values``)
    written with a new payment, in the same statement on PostgreSQL, its target the
    payment (``points-payment:<id>``); not with a replayed one.
    """
    now = now or utcnow()
    if not isinstance(idempotency_key, str) or not 16 <= len(idempotency_key) <= 100:
        raise PaymentRefused(_("The form has expired; please start again."))
    if wallet is None:
        found = find_replay(dbsession, user_id, idempotency_key)
        if found is not None:
            if scan is None or (found.branch_id, found.programme_id, found.amount) != \
                    (scan.branch.id, getattr(programme, "id", None), amount):
                raise IdempotencyConflict()
            return PaymentOutcome(found, True)
    check_payable(scan, programme, now)
    amount = ledger.check_amount(amount, max_payment)
    if wallet is None:
        wallet = check_balance(dbsession, programme, user_id, amount, now)
    if one_time is not None:
        take_one_time(dbsession, one_time, scan, amount, now)
    till_id = getattr(wallet, "till_id", None)
    if till_id is None:
        till_id = ledger.merchant_account_id(dbsession, programme.id, scan.merchant.id)
    values = dict(programme_id=programme.id, merchant_id=scan.merchant.id,
                  branch_id=scan.branch.id, user_id=user_id, amount=amount, refunded=0,
                  receipt_code=receipt_code(), created=now)
    # the payment row is written with the transfer (one statement on PostgreSQL), then
    # made an object without another statement (the ORM's unit of work costs more CPU
    # than the insert itself)
    record = ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="payment",
        reason=scan.merchant.name[:200], actor_id=user_id,
        idempotency_key=f"pay:{user_id}:{idempotency_key}", now=now,
        postings=[ledger.Posting(wallet.id, -amount), ledger.Posting(till_id, amount)],
        with_row=(Payment.__table__, values),
        then_row=None if audit_entry is None else (
            AuditEntry.__table__, audit_entry, "target", PAYMENT_TARGET),
    )
    if record.replayed:
        payment = dbsession.scalars(select(Payment).where(Payment.transfer_id == record.id)).one()
        return PaymentOutcome(payment, True)
    payment = Payment(id=record.row_id, transfer_id=record.id, **values)
    make_transient_to_detached(payment)
    dbsession.add(payment)
    if one_time is not None:
        dbsession.execute(update(OneTimeCode).where(OneTimeCode.id == one_time.id)
                          .values(payment_id=payment.id)
                          .execution_options(synchronize_session=False))
    return PaymentOutcome(payment, False)


def payment_of_user(dbsession, payment_id, user_id):
    return dbsession.scalars(select(Payment).where(Payment.id == payment_id,
                                                   Payment.user_id == user_id)).first()


def payment_of_merchant(dbsession, payment_id, merchant_id):
    return dbsession.scalars(select(Payment).where(Payment.id == payment_id,
                                                   Payment.merchant_id == merchant_id)).first()


def payments_of_day(dbsession, merchant_id, day):
    """The merchant's payments on the JST date ``day``, newest first."""
    start = tokyo_midnight(day)
    return list(dbsession.scalars(
        select(Payment).where(Payment.merchant_id == merchant_id, Payment.created >= start,
                              Payment.created < start + timedelta(days=1))
        .order_by(Payment.created.desc(), Payment.id.desc())))


def refund(dbsession, *, payment, amount, actor_id, idempotency_key, refund_days, now=None):
    """Give ``amount`` points of ``payment`` back to the resident's wallet; return the transfer.

    Refused after ``refund_days`` days, or past what is left to refund. The
    guarded update of ``refunded`` is taken before the ledger moves anything,
    so two concurrent refunds can never together pass the payment's amount.
    """
    now = now or utcnow()
    key = f"refund:{payment.id}:{idempotency_key}"
    if not isinstance(idempotency_key, str) or not 16 <= len(idempotency_key) <= 100:
        raise RefundRefused(_("The form has expired; please start again."))
    previous = dbsession.scalars(select(ledger.Transfer)
                                 .where(ledger.Transfer.idempotency_key == key)).first()
    if previous is not None:
        previous.replayed = True
        return previous
    if now - payment.created > timedelta(days=refund_days):
        raise RefundRefused(_("A payment can be refunded within ${days} days.",
                              mapping={"days": refund_days}))
    amount = ledger.check_amount(amount, payment.amount)
    if payment.user_id is None:
        raise RefundRefused(_("The resident's account no longer exists."))
    result = dbsession.execute(
        update(Payment).where(Payment.id == payment.id,
                              Payment.refunded + amount <= Payment.amount)
        .values(refunded=Payment.refunded + amount)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise RefundRefused(_("This is more than what is left to refund of the payment."))
    dbsession.expire(payment)
    programme = dbsession.get(Programme, payment.programme_id)
    wallet = ledger.wallet_account(dbsession, programme.id, payment.user_id)
    till = ledger.merchant_account(dbsession, programme.id, payment.merchant_id)
    return ledger.transfer(
        dbsession, programme_id=programme.id, reason_code="refund", reason="",
        actor_id=actor_id, idempotency_key=key, now=now,
        related_transfer_id=payment.transfer_id,
        postings=[ledger.Posting(till.id, -amount),
                  ledger.Posting(wallet.id, amount, expires_at=expiry_for(programme, now))],
    )


# -- one-time codes ----------------------------------------------------------------------

ONE_TIME_SCHEME = "KP1"
ONE_TIME_RE = re.compile(r"KP1\.([1-9]\d{0,9})\.([A-Za-z0-9_-]{22})\Z")


def _secret_hash(secret):
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_one_time(dbsession, *, merchant_id, branch_id, amount, created_by, seconds,
                    max_payment, now=None):
    """A new one-time code for ``amount`` points; return (row, the text the QR holds)."""
    amount = ledger.check_amount(amount, max_payment)
    now = now or utcnow()
    secret = secrets.token_urlsafe(16)
    code = OneTimeCode(secret_hash=_secret_hash(secret), merchant_id=merchant_id,
                       branch_id=branch_id, amount=amount, created_by=created_by, created=now,
                       expires_at=now + timedelta(seconds=seconds))
    dbsession.add(code)
    dbsession.flush()
    return code, f"{ONE_TIME_SCHEME}.{code.id}.{secret}"


def is_one_time_text(text):
    return isinstance(text, str) and (ONE_TIME_SCHEME + ".") in text[:520]


def find_one_time(dbsession, text):
    """The ``OneTimeCode`` the text names, if its secret matches; else None (never raises)."""
    if not isinstance(text, str) or len(text) > 500:
        return None
    start = text.rfind(ONE_TIME_SCHEME + ".")
    match = ONE_TIME_RE.match(text[start:].strip()) if start >= 0 else None
    if match is None:
        return None
    code = dbsession.get(OneTimeCode, int(match.group(1)))
    if code is None or not hmac.compare_digest(code.secret_hash,
                                               _secret_hash(match.group(2))):
        return None
    return code


def check_one_time(code, now):
    if code is None:
        raise PaymentRefused(_("This code is not a shop's code of this site, or it is no "
                               "longer valid."))
    if code.used_at is not None:
        raise PaymentRefused(_("This one-time code has already been used."))
    if code.expires_at <= now:
        raise PaymentRefused(_("This one-time code has expired. Ask the shop for a new one."))


def take_one_time(dbsession, code, scan, amount, now):
    """Mark the code used, once: the guarded update wins for exactly one payment."""
    check_one_time(code, now)
    if amount != code.amount or scan.branch.id != code.branch_id:
        raise PaymentRefused(_("The amount must be the one the shop set."))
    result = dbsession.execute(
        update(OneTimeCode).where(OneTimeCode.id == code.id, OneTimeCode.used_at.is_(None),
                                  OneTimeCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise PaymentRefused(_("This one-time code has already been used."))
    dbsession.expire(code)
