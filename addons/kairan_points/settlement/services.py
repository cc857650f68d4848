"""Settlement: what each merchant took in a period, read from the ledger.

A period is a calendar month in Asia/Tokyo (``2025-01`` runs from 00:00 JST
on 1 January to 00:00 JST on 1 February). A merchant's statement is read
from the lines of its accounts (one per programme): a payment is a
``payment`` transfer into the account (wallet → merchant), a refund a
``refund`` transfer out of it (merchant → wallet). The net is the sum of
every line in the period, so it always equals the change of the accounts'
balances over the period, whatever else moved them.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from kairan.i18n.translation import _
from kairan_points.errors import PointsRefused
from kairan_points.models import MERCHANT, Account, Line, Programme, Transfer
from kairan_points.services import tokyo_midnight

PERIOD_RE = re.compile(r"(\d{4})-(\d{2})\Z")


class PeriodRefused(PointsRefused):
    status = 400


@dataclass(frozen=True)
class Period:
    """A JST calendar month."""

    year: int
    month: int

    @property
    def code(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self):
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self):
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def start(self):
        """00:00 JST on the first day, aware UTC (included)."""
        return tokyo_midnight(self.first_day)

    @property
    def end(self):
        """00:00 JST on the first day of the next month, aware UTC (excluded)."""
        return tokyo_midnight(self.next_first_day)


def parse_period(text):
    """The ``Period`` of ``YYYY-MM`` text; ``PeriodRefused`` (400) for anything else."""
    found = PERIOD_RE.match(text or "") if isinstance(text, str) and len(text) <= 7 else None
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise PeriodRefused(_("Choose a month as YYYY-MM (for example 2025-01)."))
    return Period(int(found.group(1)), int(found.group(2)))


@dataclass
class StatementRow:
    """One merchant's takings in one programme over the period."""

    merchant_id: int
    programme_id: int
    payments: int = 0
    payment_points: int = 0
    refunds: int = 0
    refund_points: int = 0
    net: int = 0

    def as_tuple(self):
        return (self.payments, self.payment_points, self.refunds, self.refund_points, self.net)


@dataclass
class Statement:
    period: Period
    rows: list = field(default_factory=list)

    @property
    def totals(self):
        total = StatementRow(merchant_id=0, programme_id=0)
        for row in self.rows:
            total.payments += row.payments
            total.payment_points += row.payment_points
            total.refunds += row.refunds
            total.refund_points += row.refund_points
            total.net += row.net
        return total


def ledger_rows(dbsession, period, merchant_id=None):
    """``StatementRow`` per merchant and programme for the period, by merchant then programme.

    One aggregate query over the merchant accounts' lines (index on the
    transfer's time); ``merchant_id`` limits it to one merchant.
    """
    is_payment = (Transfer.reason_code == "payment") & (Line.amount > 0)
    is_refund = (Transfer.reason_code == "refund") & (Line.amount < 0)
    query = (
        select(Account.merchant_id, Account.programme_id,
               func.sum(case((is_payment, 1), else_=0)),
               func.sum(case((is_payment, Line.amount), else_=0)),
               func.sum(case((is_refund, 1), else_=0)),
               func.sum(case((is_refund, -Line.amount), else_=0)),
               func.sum(Line.amount))
        .join(Line, Line.account_id == Account.id)
        .join(Transfer, Transfer.id == Line.transfer_id)
        .where(Account.kind == MERCHANT, Transfer.at >= period.start, Transfer.at < period.end)
        .group_by(Account.merchant_id, Account.programme_id)
        .order_by(Account.merchant_id, Account.programme_id)
    )
    if merchant_id is not None:
        query = query.where(Account.merchant_id == merchant_id)
    return [StatementRow(int(m), int(p), *(int(v or 0) for v in values))
            for m, p, *values in dbsession.execute(query)]


def merchant_statement(dbsession, period, merchant_id):
    """The merchant's ``Statement`` for the period, one row per programme (a closed
    month's from the totals recorded when it was closed)."""
    return Statement(period, statement_rows(dbsession, period, merchant_id))


def programme_names(dbsession, locale):
    return {p.id: p.localized_name(locale) for p in dbsession.scalars(select(Programme))}


# -- closing a period and reconciling it ---------------------------------------------------

def closed_period(dbsession, period):
    """The ``SettlementPeriod`` of a closed month, or None while it is open."""
    from kairan_points.settlement.models import SettlementPeriod

    return dbsession.scalars(select(SettlementPeriod)
                             .where(SettlementPeriod.period == period.code)).first()


def recorded_rows(dbsession, closed, merchant_id=None):
    """The ``StatementRow`` s recorded when the period was closed."""
    from kairan_points.settlement.models import SettlementTotal

    query = (select(SettlementTotal).where(SettlementTotal.period_id == closed.id)
             .order_by(SettlementTotal.merchant_id, SettlementTotal.programme_id))
    if merchant_id is not None:
        query = query.where(SettlementTotal.merchant_id == merchant_id)
    return [StatementRow(t.merchant_id, t.programme_id, t.payments, t.payment_points,
                         t.refunds, t.refund_points, t.net) for t in dbsession.scalars(query)]


def statement_rows(dbsession, period, merchant_id=None):
    """A closed month's recorded rows; an open month's rows from the ledger."""
    closed = closed_period(dbsession, period)
    if closed is not None:
        return recorded_rows(dbsession, closed, merchant_id)
    return ledger_rows(dbsession, period, merchant_id)


class PeriodClosed(PointsRefused):
    status = 409
    message = _("This month is closed already.")


class PeriodNotOver(PointsRefused):
    message = _("A month can be closed only after it has ended (00:00 JST on the 1st).")


def close_period(dbsession, period, actor_id, now):
    """Record every merchant's and programme's totals of the ended month; return the row.

    A second close is refused (``PeriodClosed``): checked first, and the unique
    ``period`` makes a concurrent second close fail too (savepoint, then refused).
    """
    from sqlalchemy.exc import IntegrityError

    from kairan_points.settlement.models import SettlementPeriod, SettlementTotal

    if now < period.end:
        raise PeriodNotOver()
    if closed_period(dbsession, period) is not None:
        raise PeriodClosed()
    closed = SettlementPeriod(period=period.code, closed_by=actor_id, closed_at=now)
    try:
        with dbsession.begin_nested():
            dbsession.add(closed)
            dbsession.flush()
    except IntegrityError:
        raise PeriodClosed() from None
    for row in ledger_rows(dbsession, period):
        dbsession.add(SettlementTotal(
            period_id=closed.id, merchant_id=row.merchant_id, programme_id=row.programme_id,
            payments=row.payments, payment_points=row.payment_points, refunds=row.refunds,
            refund_points=row.refund_points, net=row.net))
    dbsession.flush()
    return closed


@dataclass
class Reconciliation:
    period: Period
    closed: object  # SettlementPeriod or None
    ledger: Statement
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return self.closed is not None and not self.problems


FIELDS = ("payments", "payment_points", "refunds", "refund_points", "net")


def reconcile(dbsession, period):
    """Compare the recorded statements of a closed month with the ledger, row by row."""
    ledger = {(r.merchant_id, r.programme_id): r for r in ledger_rows(dbsession, period)}
    report = Reconciliation(period, closed_period(dbsession, period),
                            Statement(period, list(ledger.values())))
    if report.closed is None:
        return report
    recorded = {(r.merchant_id, r.programme_id): r
                for r in recorded_rows(dbsession, report.closed)}
    for key in sorted(set(ledger) | set(recorded)):
        mine, theirs = recorded.get(key), ledger.get(key)
        for name in FIELDS:
            want = getattr(theirs, name) if theirs else 0
            have = getattr(mine, name) if mine else 0
            if want != have:
                report.problems.append(
                    f"merchant {key[0]} programme {key[1]}: {name} recorded {have}, "
                    f"ledger {want}")
    return report
