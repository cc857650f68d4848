"""The ``points`` section of "download my data": wallets, lots and history, payments at
shops with their refunds, and campaign applications.

``payments`` and ``campaign_applications`` appear when the resident has any (a
resident who never used the wallet gets ``{"wallets": []}``). Shop and branch names
come from ``IMerchantDirectory`` (one look-up per shop the resident paid at, not per
payment); without the merchants add-on they are empty and the ids remain.
"""

from sqlalchemy import select
from zope.interface import implementer

from kairan.accounts.interfaces import IPersonalDataProvider
from kairan_points.models import WALLET, Account, Line, Lot, Programme, Transfer


def _iso(value):
    return value.isoformat() if value is not None else None


def _directory(request):
    from kairan_merchants.interfaces import IMerchantDirectory

    registry = getattr(request, "registry", None)
    return registry.queryUtility(IMerchantDirectory) if registry is not None else None


def _names(request, payments):
    """({merchant_id: name}, {branch_id: name}) of the shops in ``payments``."""
    directory = _directory(request)
    merchants, branches = {}, {}
    if directory is None:
        return merchants, branches
    for payment, _code in payments:
        if payment.merchant_id not in merchants:
            merchant = directory.get_merchant(request, payment.merchant_id)
            merchants[payment.merchant_id] = merchant.name if merchant is not None else ""
        if payment.branch_id not in branches:
            branch = directory.get_branch(request, payment.branch_id)
            branches[payment.branch_id] = branch.name if branch is not None else ""
    return merchants, branches


def payments_of(request, user):
    """The resident's payments at shops, oldest first, each with its refunds."""
    from kairan_points.payments.models import Payment

    dbsession = request.dbsession
    payments = dbsession.execute(
        select(Payment, Programme.code).join(Programme, Programme.id == Payment.programme_id)
        .where(Payment.user_id == user.id).order_by(Payment.created, Payment.id)).all()
    if not payments:
        return []
    # a refund is a ``refund`` transfer related to the payment's; its positive line is
    # what came back to the wallet
    refunds = {}
    for payment_id, at, amount in dbsession.execute(
            select(Payment.id, Transfer.at, Line.amount)
            .join(Transfer, Transfer.related_transfer_id == Payment.transfer_id)
            .join(Line, Line.transfer_id == Transfer.id)
            .where(Payment.user_id == user.id, Transfer.reason_code == "refund",
                   Line.amount > 0)
            .order_by(Transfer.at, Transfer.id)):
        refunds.setdefault(payment_id, []).append({"at": _iso(at), "amount": int(amount)})
    merchants, branches = _names(request, payments)
    return [{
        "at": _iso(payment.created), "programme": code,
        "merchant_id": payment.merchant_id, "shop": merchants.get(payment.merchant_id, ""),
        "branch": branches.get(payment.branch_id, ""), "amount": payment.amount,
        "receipt_code": payment.receipt_code, "refunded": payment.refunded,
        "refunds": refunds.get(payment.id, []),
    } for payment, code in payments]


def applications_of(request, user):
    """The resident's campaign applications, oldest first (never the draw's seed)."""
    from kairan_points.campaigns.models import Application, Campaign

    rows = request.dbsession.execute(
        select(Application, Campaign, Programme.code)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .join(Programme, Programme.id == Campaign.programme_id)
        .where(Application.user_id == user.id)
        .order_by(Application.applied_at, Application.id)).all()
    return [{
        "campaign": campaign.code, "title": campaign.title, "programme": code,
        "points": campaign.points, "status": application.status,
        "identity_level": application.level, "applied_at": _iso(application.applied_at),
        "rank": application.rank, "offered_at": _iso(application.offered_at),
        "accept_by": _iso(application.accept_by), "decided_at": _iso(application.decided_at),
    } for application, campaign, code in rows]


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
        data = {"wallets": wallets}
        payments = payments_of(request, user)
        if payments:
            data["payments"] = payments
        applications = applications_of(request, user)
        if applications:
            data["campaign_applications"] = applications
        return data
