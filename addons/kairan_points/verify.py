"""The ledger proves itself: ``verify_ledger`` and ``kairan points verify``.

Each check is one aggregate query over the whole ledger, so it stays fast
at millions of rows. A check returns the offending rows (at most
``EXAMPLES`` of them) and how many there are; the ledger is sound when every
check finds none.
"""

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from kairan_points.models import WALLET, Account, Line, Lot, LotEntry, Transfer

EXAMPLES = 20


@dataclass
class Check:
    name: str
    description: str
    count: int = 0
    examples: list = field(default_factory=list)

    @property
    def ok(self):
        return self.count == 0


@dataclass
class Report:
    totals: dict
    checks: list

    @property
    def ok(self):
        return all(check.ok for check in self.checks)

    def lines(self):
        yield "points ledger: " + ", ".join(f"{v} {k}" for k, v in self.totals.items())
        for check in self.checks:
            mark = "ok  " if check.ok else "FAIL"
            yield f"{mark} {check.description}" + ("" if check.ok else f": {check.count}")
            for example in check.examples:
                yield f"       {example}"
        yield "the ledger is sound" if self.ok else "THE LEDGER HAS DISCREPANCIES"


def _run(dbsession, name, description, query):
    subquery = query.subquery()
    count = dbsession.scalar(select(func.count()).select_from(subquery))
    examples = [tuple(row) for row in dbsession.execute(query.limit(EXAMPLES))] if count else []
    return Check(name, description, count, examples)


def line_sums():
    return (select(Line.account_id, func.sum(Line.amount).label("total"))
            .group_by(Line.account_id).subquery())


def verify_ledger(dbsession) -> Report:
    """Every invariant of the ledger, checked against what is stored."""
    totals = {
        "transfers": dbsession.scalar(select(func.count()).select_from(Transfer)),
        "lines": dbsession.scalar(select(func.count()).select_from(Line)),
        "accounts": dbsession.scalar(select(func.count()).select_from(Account)),
        "lots": dbsession.scalar(select(func.count()).select_from(Lot)),
    }
    checks = []

    sums = (select(Transfer.id, func.coalesce(func.sum(Line.amount), 0).label("total"),
                   func.count(Line.id).label("lines"))
            .outerjoin(Line, Line.transfer_id == Transfer.id).group_by(Transfer.id)
            .subquery())
    checks.append(_run(dbsession, "balanced", "every transfer has 2+ lines summing to zero",
                       select(sums).where((sums.c.total != 0) | (sums.c.lines < 2))))

    checks.append(_run(
        dbsession, "programme", "every line's account belongs to its transfer's programme",
        select(Line.id, Line.transfer_id, Line.account_id)
        .join(Transfer, Transfer.id == Line.transfer_id)
        .join(Account, Account.id == Line.account_id)
        .where(Account.programme_id != Transfer.programme_id)))

    by_account = line_sums()
    checks.append(_run(
        dbsession, "account_lines", "every balance equals the sum of its lines",
        select(Account.id, Account.balance, func.coalesce(by_account.c.total, 0))
        .outerjoin(by_account, by_account.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(by_account.c.total, 0))))

    lot_sums = (select(Lot.account_id, func.sum(Lot.remaining).label("total"))
                .group_by(Lot.account_id).subquery())
    checks.append(_run(
        dbsession, "account_lots", "every wallet balance equals the sum of its lots",
        select(Account.id, Account.balance, func.coalesce(lot_sums.c.total, 0))
        .outerjoin(lot_sums, lot_sums.c.account_id == Account.id)
        .where(Account.kind == WALLET, Account.balance != func.coalesce(lot_sums.c.total, 0))))

    checks.append(_run(
        dbsession, "lots_only_in_wallets", "only wallets hold lots",
        select(Lot.id, Lot.account_id).join(Account, Account.id == Lot.account_id)
        .where(Account.kind != WALLET)))

    checks.append(_run(
        dbsession, "lot_range", "no lot is negative or above what it received",
        select(Lot.id, Lot.amount, Lot.remaining)
        .where((Lot.remaining < 0) | (Lot.remaining > Lot.amount) | (Lot.amount <= 0))))

    entry_sums = (select(LotEntry.lot_id,
                         func.sum(LotEntry.amount).label("total"),
                         func.sum(case((LotEntry.amount > 0, LotEntry.amount), else_=0))
                         .label("received"))
                  .group_by(LotEntry.lot_id).subquery())
    checks.append(_run(
        dbsession, "lot_entries", "every lot equals what its entries received and spent",
        select(Lot.id, Lot.amount, Lot.remaining, entry_sums.c.received, entry_sums.c.total)
        .outerjoin(entry_sums, entry_sums.c.lot_id == Lot.id)
        .where((func.coalesce(entry_sums.c.total, 0) != Lot.remaining)
               | (func.coalesce(entry_sums.c.received, 0) != Lot.amount))))

    checks.append(_run(
        dbsession, "lot_origin", "every lot was created by a credit line of its own wallet",
        select(Lot.id, Lot.line_id).join(Line, Line.id == Lot.line_id)
        .where((Line.account_id != Lot.account_id) | (Line.amount != Lot.amount))))

    by_line = (select(LotEntry.line_id, func.sum(LotEntry.amount).label("total"))
               .group_by(LotEntry.line_id).subquery())
    checks.append(_run(
        dbsession, "line_lots", "every wallet line equals the lots it created or spent",
        select(Line.id, Line.amount, func.coalesce(by_line.c.total, 0))
        .join(Account, Account.id == Line.account_id)
        .outerjoin(by_line, by_line.c.line_id == Line.id)
        .where(Account.kind == WALLET, Line.amount != func.coalesce(by_line.c.total, 0))))

    checks.append(_run(
        dbsession, "entry_account", "every lot entry's line is on the lot's own wallet",
        select(LotEntry.id, LotEntry.lot_id, LotEntry.line_id)
        .join(Lot, Lot.id == LotEntry.lot_id).join(Line, Line.id == LotEntry.line_id)
        .where(Line.account_id != Lot.account_id)))

    checks.append(_run(
        dbsession, "floors", "no balance is below its floor (a wallet below 0, a budget overrun)",
        select(Account.id, Account.kind, Account.balance, Account.min_balance)
        .where(Account.min_balance.is_not(None), Account.balance < Account.min_balance)))

    checks.append(_run(
        dbsession, "zero_sum", "the balances of each programme sum to zero",
        select(Account.programme_id, func.sum(Account.balance).label("total"))
        .group_by(Account.programme_id).having(func.sum(Account.balance) != 0)))

    grand = dbsession.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
    checks.append(Check("grand_total", "the balances of all accounts sum to zero",
                        0 if grand == 0 else 1, [] if grand == 0 else [(grand,)]))
    return Report(totals, checks)
