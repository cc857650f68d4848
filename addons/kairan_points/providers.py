"""The ``points`` section of "download my data": wallets, lots and history."""

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan_points.models import WALLET, Account, Line, Lot, Programme, Transfer


def _iso(value):
    return value.isoformat() if value is not None else None


@implementer(IPersonalDataProvider)
class PointsData:
    name = "points"

    def export(self, request, user):
        dbsession = request.dbsession
        wallets = []
        accounts = dbsession.execute(
            select(Account, Programme.code).join(Programme, Programme.id == Account.programme_id)
            .where(Account.user_id == user.id, Account.kind == WALLET).order_by(Account.id)).all()
        for account, code in accounts:
            lots = dbsession.scalars(select(Lot).where(Lot.account_id == account.id)
                                     .order_by(Lot.id))
            history = dbsession.execute(
                select(Transfer, Line.amount).join(Line, Line.transfer_id == Transfer.id)
                .where(Line.account_id == account.id).order_by(Transfer.at, Transfer.id))
            wallets.append({
                "programme": code,
                "balance": account.balance,
                "lots": [{"received": lot.amount, "remaining": lot.remaining,
                          "expires_at": _iso(lot.expires_at), "created": _iso(lot.created)}
                         for lot in lots],
                "transfers": [{"id": t.id, "at": _iso(t.at), "reason_code": t.reason_code,
                               "reason": t.reason, "amount": amount,
                               "by_staff": t.actor_id is not None and t.actor_id != user.id}
                              for t, amount in history],
            })
        return {"wallets": wallets}
