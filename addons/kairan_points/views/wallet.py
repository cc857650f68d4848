"""The resident's wallet: balances per programme, what expires when, the history.

Only the signed-in resident's own wallets are ever queried: no view takes a
user id, and a transfer that did not touch one of their wallets is answered
404, as if it did not exist.
"""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from kairan.i18n.translation import _
from kairan.security.permissions import Permission
from kairan_points import services
from kairan_points.views import matched_id

WALLET = "kairan_points:templates/wallet.pt"
TRANSFER = "kairan_points:templates/transfer.pt"

REASONS = {
    "grant": _("Granted"),
    "correction": _("Correction"),
    "expire": _("Expired"),
    "payment": _("Payment"),
    "refund": _("Refund"),
    "campaign": _("Campaign"),
    "rule": _("Earned"),
    "bridge.out": _("Sent to the regional currency app"),
    "bridge.in": _("Received from the regional currency app"),
    "bridge.revert": _("Returned: the regional currency app refused it"),
}


def reason_title(request, code):
    return request.localizer.translate(REASONS.get(code, _("Other")))


def _tokyo(when):
    return when.astimezone(services.TOKYO).strftime("%Y-%m-%d %H:%M")


def _page_number(request):
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1


def history_rows(request, rows):
    locale = request.localizer.locale_name
    return [{
        "id": transfer.id,
        "at": _tokyo(transfer.at),
        "programme": programme.localized_name(locale),
        "reason": reason_title(request, transfer.reason_code),
        "note": transfer.reason,
        "amount": f"{amount:+,}",
        "credit": amount > 0,
        "url": request.route_path("points.transfer", id=transfer.id),
    } for transfer, programme, amount in rows]


@view_config(route_name="points.wallet", renderer=WALLET, permission=Permission.MEMBER,
             request_method="GET")
def wallet(request):
    locale = request.localizer.locale_name
    page_size = request.registry.settings["kairan.points.history_page_size"]
    number = _page_number(request)
    rows, more = services.history(request.dbsession, request.user.id, number, page_size)
    wallets = [{
        "programme": view.programme.localized_name(locale),
        "balance": f"{view.spendable:,}",
        "spend_from": f"{view.programme.spend_from:%Y-%m-%d}",
        "spend_until": f"{view.programme.spend_until:%Y-%m-%d}",
        "lots": [{"points": f"{points:,}",
                  "expires": (f"{services.display_expiry(expires_at):%Y-%m-%d}"
                              if expires_at is not None else None)}
                 for points, expires_at in view.lots],
    } for view in services.wallets_of(request.dbsession, request.user.id)]
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": request.localizer.translate(_("My points")),
        "wallets": wallets,
        # the pay and check-in pages, when those parts are included
        "actions": [(request.route_path(name), request.localizer.translate(title))
                    for name, title in (
            ("points.pay", _("Pay with points")),
            ("points.checkin", _("Check in at an activity")),
        ) if request.registry.introspector.get("routes", name) is not None],
        "history": history_rows(request, rows),
        "previous_url": (request.route_path("points.wallet", _query={"page": number - 1})
                         if number > 1 else None),
        "next_url": (request.route_path("points.wallet", _query={"page": number + 1})
                     if more else None),
    }


@view_config(route_name="points.transfer", renderer=TRANSFER, permission=Permission.MEMBER,
             request_method="GET")
def transfer(request):
    found = services.transfer_of_user(request.dbsession, matched_id(request),
                                      request.user.id)
    if found is None:
        raise HTTPNotFound()
    row = history_rows(request, [found])[0]
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": request.localizer.translate(_("Points transfer")), "transfer": row,
            "wallet_url": request.route_path("points.wallet")}
