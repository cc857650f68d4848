"""The bridge's pages: the resident's moves, the service's webhook, the operators' outbox.

Resident: ``/points/bridge`` (choose the programme and the amount; the history
of moves with their status) → ``/points/bridge/confirm`` (GET shows what will
happen, POST moves; both need the protected action ``points.bridge``, so the
step-up comes before the button is shown). Works without JavaScript.

Service: ``POST /points/bridge/webhook``, signed (see ``signing``), no session
and no CSRF token (a server calls it; the signature and its time window take
their place). Operators: ``/manage/points/bridge``.
"""

import secrets

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import select

from kairan.audit.services import audit, audit_now
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.permissions import Permission
from kairan.security.ratelimit import get_rate_limiter
from kairan_points import ledger
from kairan_points.bridge import WEBHOOK_LIMITER, services
from kairan_points.bridge.interfaces import InboundRejected
from kairan_points.bridge.models import FAILED, STATUSES, BridgeMove
from kairan_points.errors import IdempotencyConflict, PointsRefused
from kairan_points.models import Programme
from kairan_points.services import TOKYO
from kairan_points.views import OPERATE, matched_id

PAGE = "kairan_points:templates/bridge/bridge.pt"
MANAGE = "kairan_points:templates/bridge/manage.pt"
MAX_WEBHOOK_BYTES = 64 * 1024

STATUS_TITLES = {
    "pending": _("Waiting to be sent"),
    "sending": _("Being sent"),
    "sent": _("Moved"),
    "reverted": _("Refused by the app; points returned"),
    "failed": _("Not delivered yet; the city is looking into it"),
    "in": _("Received"),
}


def _settings(request):
    return request.registry.settings


def _tokyo(when):
    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if when else ""


def _amount(raw):
    """The typed amount as an int, or the raw text (``check_amount`` refuses it)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 13 else raw


def _programme(request, raw):
    raw = raw or ""
    return request.dbsession.get(Programme, int(raw)) if raw.isdigit() and len(raw) < 10 \
        else None


def _history(request):
    translate = request.localizer.translate
    locale = request.localizer.locale_name
    rows = []
    for kind, row, programme in services.moves_of(request.dbsession, request.user.id):
        rows.append({
            "at": _tokyo(row.created if kind == "out" else row.received_at),
            "programme": programme.localized_name(locale),
            "direction": translate(_("To the app") if kind == "out" else _("From the app")),
            "amount": f"{(-row.amount if kind == 'out' else row.amount):+,}",
            "status": translate(STATUS_TITLES[row.status if kind == "out" else "in"]),
            "status_code": row.status if kind == "out" else "in",
        })
    return rows


def _page(request, *, stage, alert=None, status=None, **values):
    translate = request.localizer.translate
    if status is not None:
        request.response.status_int = status
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": translate(_("Move points to the regional currency app")),
            "stage": stage, "alert": translate(alert) if alert is not None else None,
            "form_url": request.route_path("points.bridge"),
            "confirm_url": request.route_path("points.bridge_confirm"),
            "wallet_url": request.route_path("points.wallet"), **values}


def _off(request):
    return _page(request, stage="off", status=404,
                 alert=_("Moving points to the regional currency app is not available."))


def _form(request, alert=None, status=None, programme_id=None, amount=""):
    now = utcnow()
    locale = request.localizer.locale_name
    choices = []
    for programme in services.bridgeable_programmes(request.dbsession, _settings(request), now):
        wallet = ledger.wallet_account(request.dbsession, programme.id, request.user.id,
                                       create=False)
        spendable = ledger.spendable_balance(request.dbsession, wallet.id, now) if wallet else 0
        choices.append({"id": programme.id, "name": programme.localized_name(locale),
                        "spendable": f"{spendable:,}",
                        "checked": programme.id == programme_id or (
                            programme_id is None and not choices)})
    return _page(request, stage="form", alert=alert, status=status, choices=choices,
                 amount=amount, history=_history(request),
                 max_amount=f"{_settings(request)['kairan.points.bridge.max_amount']:,}")


def _checked(request, params, now):
    """(programme, amount) of the request, every refusal checked; PointsRefused."""
    settings = _settings(request)
    programme = services.check_programme(
        request.dbsession, settings, _programme(request, params.get("programme")), now)
    amount = ledger.check_amount(_amount(params.get("amount")),
                                 settings["kairan.points.bridge.max_amount"])
    services.check_spendable(request.dbsession, programme, request.user.id, amount, now)
    return programme, amount


def _refused(request, params, error):
    programme = _programme(request, params.get("programme"))
    return _form(request, alert=error.message, status=error.status,
                 programme_id=getattr(programme, "id", None),
                 amount=(params.get("amount") or "")[:13])


@view_config(route_name="points.bridge", renderer=PAGE, permission=Permission.MEMBER,
             request_method="GET")
def bridge_form(request):
    if services.bridge_of(request.registry) is None:
        return _off(request)
    return _form(request)


@view_config(route_name="points.bridge_confirm", renderer=PAGE, permission=Permission.MEMBER,
             request_method="GET", assurance="points.bridge")
def bridge_confirm(request):
    if services.bridge_of(request.registry) is None:
        return _off(request)
    if "programme" not in request.GET and "amount" not in request.GET:
        return HTTPSeeOther(request.route_url("points.bridge"))
    try:
        programme, amount = _checked(request, request.GET, utcnow())
    except PointsRefused as error:
        return _refused(request, request.GET, error)
    return _page(request, stage="confirm", programme_id=programme.id,
                 programme=programme.localized_name(request.localizer.locale_name),
                 amount=amount, amount_text=f"{amount:,}", key=secrets.token_urlsafe(24))


@view_config(route_name="points.bridge_confirm", renderer=PAGE, permission=Permission.MEMBER,
             request_method="POST", assurance="points.bridge")
def bridge_submit(request):
    if services.bridge_of(request.registry) is None:
        return _off(request)
    params = request.POST
    now = utcnow()
    try:
        found = services.find_replay(request.dbsession, request.user.id,
                                     params.get("idempotency_key", ""))
        if found is None:
            _checked(request, params, now)
        outcome = services.move_out(
            request.dbsession, user_id=request.user.id,
            programme=_programme(request, params.get("programme")),
            amount=_amount(params.get("amount")),
            form_key=params.get("idempotency_key", ""), settings=_settings(request), now=now)
    except PointsRefused as error:
        request.tm.doom()
        audit_now(request, "points.bridge.out", outcome="refused",
                  detail={"reason": type(error).__name__})
        if isinstance(error, IdempotencyConflict):
            return _form(request, alert=error.message, status=error.status)
        return _refused(request, params, error)
    move = outcome.move
    if not outcome.replayed:
        audit(request, "points.bridge.out", target=f"points-bridge-move:{move.id}",
              detail={"programme": move.programme_id, "amount": move.amount})
        request.session.flash(request.localizer.translate(_(
            "${points} points are on their way to the regional currency app.",
            mapping={"points": f"{move.amount:,}"})))
    return HTTPSeeOther(request.route_url("points.bridge"))


@view_config(route_name="points.bridge_webhook", renderer="json", request_method="POST",
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def bridge_webhook(request):
    """The service credits a wallet. 200 credited (or the same credit again), 400
    unsigned or malformed, 401 bad signature or outside the time window, 409 the same
    transaction id with other values, 422 refused (unknown resident or programme, bad
    amount), 404 when the bridge is off."""
    bridge = services.bridge_of(request.registry)
    if bridge is None:
        raise HTTPNotFound()
    request.response.headers["Cache-Control"] = "no-store"
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        request.response.status_int = 413
        return {"error": "too large"}
    now = utcnow()
    limiter = get_rate_limiter(request, WEBHOOK_LIMITER)
    address = request.client_addr or "unknown"
    if limiter.exceeded(request, address):
        request.response.status_int = 429
        request.response.headers["Retry-After"] = str(limiter.retry_after(request))
        return {"error": "too many refused requests"}
    try:
        credit = bridge.verify_inbound(request.method, request.path_qs, request.headers,
                                       request.body, now)
    except InboundRejected as error:
        reason = str(error)
        request.response.status_int = 400 if reason.startswith(("unsigned", "malformed")) \
            else 401
        # audit_now writes in a transaction of its own: before the hit takes SQLite's lock
        audit_now(request, "points.bridge.in", outcome="denied", detail={"reason": reason})
        limiter.hit(request, address)
        return {"error": reason}
    try:
        outcome = services.credit_inbound(request.dbsession, credit, _settings(request), now)
    except PointsRefused as error:
        request.tm.doom()
        request.response.status_int = 409 if isinstance(error, IdempotencyConflict) else 422
        audit_now(request, "points.bridge.in", target=f"bridge-remote:{credit.remote_id}",
                  outcome="refused", detail={"reason": type(error).__name__})
        return {"error": request.localizer.translate(error.message),
                "id": credit.remote_id}
    row = outcome.credit
    if not outcome.replayed:
        audit(request, "points.bridge.in", target=f"points-bridge-credit:{row.id}",
              actor_id=None, detail={"remote_id": row.remote_id, "amount": row.amount,
                                     "user": row.user_id})
    return {"status": "credited", "id": credit.remote_id, "credit": row.id,
            "transfer": row.transfer_id, "replayed": outcome.replayed}


# -- operators -------------------------------------------------------------------------------

@view_config(route_name="points.bridge_manage", renderer=MANAGE, permission=OPERATE,
             request_method="GET")
def bridge_manage(request):
    translate = request.localizer.translate
    wanted = request.GET.get("status", FAILED)
    wanted = wanted if wanted in STATUSES else FAILED
    counts = services.status_counts(request.dbsession)
    rows = request.dbsession.execute(
        select(BridgeMove, Programme.code)
        .join(Programme, Programme.id == BridgeMove.programme_id)
        .where(BridgeMove.status == wanted)
        .order_by(BridgeMove.id.desc()).limit(200)).all()
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": translate(_("Regional currency bridge")),
        "enabled": services.bridge_of(request.registry) is not None,
        "statuses": [{"code": code, "title": translate(STATUS_TITLES[code]),
                      "count": counts.get(code, 0),
                      "url": request.route_path("points.bridge_manage",
                                                _query={"status": code}),
                      "current": code == wanted} for code in STATUSES],
        "current_title": translate(STATUS_TITLES[wanted]),
        "moves": [{
            "id": move.id, "created": _tokyo(move.created), "programme": code,
            "user_id": move.user_id, "amount": f"{move.amount:,}", "status": move.status,
            "attempts": move.attempts, "next": _tokyo(move.next_attempt_at),
            "last_error": move.last_error, "remote_id": move.remote_id or "",
            "retry_url": (request.route_path("points.bridge_retry", id=move.id)
                          if move.status == FAILED else None),
        } for move, code in rows],
        "reconciliations": [{
            "day": r.day, "ran_at": _tokyo(r.ran_at), "ok": r.ok, "ours": r.ours,
            "theirs": r.theirs, "problems": [
                f"{p['kind']} {p['direction']} {p['reference']}: ours {p['ours']}, "
                f"theirs {p['theirs']} {p.get('note') or ''}".strip()
                for p in r.problems],
        } for r in services.latest_reconciliations(request.dbsession)],
        "manage_url": request.route_path("points.manage"),
    }


@view_config(route_name="points.bridge_retry", permission=OPERATE, request_method="POST")
def bridge_retry(request):
    move_id = matched_id(request)
    move = request.dbsession.get(BridgeMove, move_id)
    if move is None:
        raise HTTPNotFound()
    if services.retry_failed(request.dbsession, move_id):
        audit(request, "points.bridge.retry", target=f"points-bridge-move:{move_id}",
              detail={"amount": move.amount, "user": move.user_id})
        request.session.flash(request.localizer.translate(
            _("The move will be sent again at the next run.")))
    else:
        audit(request, "points.bridge.retry", target=f"points-bridge-move:{move_id}",
              outcome="refused", detail={"status": move.status})
        request.session.flash(request.localizer.translate(
            _("Only a failed move can be sent again.")))
    return HTTPSeeOther(request.route_url("points.bridge_manage", _query={"status": FAILED}))
