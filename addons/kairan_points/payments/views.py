"""Paying at a shop (residents) and the shop's payments and refunds (its staff).

Resident: ``/points/pay`` (type or scan the shop's code; choose the programme
and the amount) → ``/points/pay/confirm`` (GET shows what will happen, and asks
for a step-up above ``kairan.points.pay_stepup_above`` before the button is
even shown; POST pays, checking everything again) → ``/points/payments/{id}``
(the receipt, 404 for anyone but the payer).

Staff: ``/merchant/{merchant_id}/payments`` lists today's payments (JST),
refreshing itself; a refund is a POST on one payment of that merchant only.
"""

import secrets
from urllib.parse import urlencode

from kairan_merchants.interfaces import MERCHANT_PERMISSION, IMerchantDirectory, ScanResult
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from kairan.audit.services import audit, audit_now, entry_values
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.assurance import insufficient_assurance, required_level, wants_json
from kairan.security.permissions import Permission
from kairan_points import ledger
from kairan_points.errors import IdempotencyConflict, PointsRefused
from kairan_points.models import Programme
from kairan_points.payments import services
from kairan_points.services import TOKYO, tokyo_date
from kairan_points.views import matched_id

PAY = "kairan_points:templates/payments/pay.pt"
RECEIPT = "kairan_points:templates/payments/receipt.pt"
MERCHANT = "kairan_points:templates/payments/merchant.pt"
ONE_TIME = "kairan_points:templates/payments/one_time.pt"
MAX_CODE = 500


def _settings(request):
    return request.registry.settings


def _directory(request):
    return request.registry.getUtility(IMerchantDirectory)


def _tokyo(when):
    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def merchant_context(request):
    return _directory(request).context_for(request, int(request.matchdict["merchant_id"][:12]))


def _resolve(request, code):
    """(scan, one-time code or None) of the typed or scanned text; scan None if unknown.
    Once per request and code (a refused payment shows the page of the same code)."""
    if not code or len(code) > MAX_CODE:
        return None, None
    resolved = request.__dict__.setdefault("_points_resolved", {})
    if code not in resolved:
        resolved[code] = _resolve_code(request, code)
    return resolved[code]


def _resolve_code(request, code):
    if services.is_one_time_text(code):
        one_time = services.find_one_time(request.dbsession, code)
        if one_time is None:
            return None, None
        directory = _directory(request)
        merchant = directory.get_merchant(request, one_time.merchant_id)
        branch = directory.get_branch(request, one_time.branch_id)
        if merchant is None or branch is None:
            return None, None
        return ScanResult(branch=branch, merchant=merchant,
                          can_take_payments=merchant.can_take_payments and not branch.closed
                          ), one_time
    return _directory(request).verify_payload(request, code.strip()), None


def _scan(request, code):
    return _resolve(request, code)[0]


def _amount(raw):
    """The typed amount as an int, or the raw text (``check_amount`` refuses it)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 13 else raw


def _wallet_choices(request, scan, now):
    locale = request.localizer.locale_name
    return [{"id": row.id, "name": Programme.localized_name(row, locale),
             "spendable": f"{row.spendable:,}"}
            for row in services.eligible_programmes(request.dbsession, scan.merchant,
                                                    request.user.id, now)]


def _shop(request, scan):
    locale = request.localizer.locale_name
    merchant = scan.merchant
    name = merchant.name_en if locale == "en" and merchant.name_en else merchant.name
    return {"name": name, "branch": scan.branch.name}


def _pay_page(request, *, stage, alert=None, status=None, **values):
    translate = request.localizer.translate
    if status is not None:
        request.response.status_int = status
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": translate(_("Pay with points")), "stage": stage,
            "alert": translate(alert) if alert is not None else None,
            "pay_url": request.route_path("points.pay"),
            "confirm_url": request.route_path("points.pay_confirm"),
            "script_url": request.static_path("kairan_points:payments/static/scan.js"),
            **values}


@view_config(route_name="points.pay", renderer=PAY, permission=Permission.MEMBER,
             request_method="GET")
def pay_start(request):
    code = request.GET.get("code", "")
    if not code:
        return _pay_page(request, stage="code", code="")
    scan, one_time = _resolve(request, code)
    try:
        if scan is None:
            services.check_payable(None, None, utcnow())
        if not scan.can_take_payments:
            services.check_payable(scan, None, utcnow())
        if one_time is not None:
            services.check_one_time(one_time, utcnow())
    except PointsRefused as error:
        return _pay_page(request, stage="code", code=code, alert=error.message, status=400)
    return _amount_page(request, code, scan, one_time)


def _amount_page(request, code, scan, one_time, **values):
    return _pay_page(request, stage="amount", code=code, shop=_shop(request, scan),
                     choices=_wallet_choices(request, scan, utcnow()),
                     fixed_amount=one_time.amount if one_time is not None else None,
                     fixed_amount_text=f"{one_time.amount:,}" if one_time is not None else "",
                     max_payment=f"{_settings(request)['kairan.points.max_payment']:,}",
                     **values)


def _programme_id(params):
    raw = params.get("programme", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _context(request, params, scan, now, idempotency_key=None):
    return services.pay_context(
        request.dbsession, programme_id=_programme_id(params), user_id=request.user.id,
        idempotency_key=idempotency_key,
        merchant_id=scan.merchant.id if scan is not None else None, now=now)


def _checked(request, params, now, context=None):
    """(scan, programme, amount, one-time code, wallet) of the request, every refusal
    checked; PointsRefused. ``programme``: ``services.Terms``; ``wallet``: the row of
    ``services.pay_context`` (with the shop's ``till_id``). ``context``: the form's
    ``pay_context`` if the caller read it already."""
    scan, one_time = _resolve(request, params.get("code", ""))
    if context is None:
        context = _context(request, params, scan, now)
    programme = context.programme
    services.check_payable(scan, programme, now)
    amount = ledger.check_amount(_amount(params.get("amount")),
                                 _settings(request)["kairan.points.max_payment"])
    if one_time is not None:
        services.check_one_time(one_time, now)
        if amount != one_time.amount:
            raise services.PaymentRefused(_("The amount must be the one the shop set."))
    wallet = services.check_spendable(context.wallet, amount)
    return scan, programme, amount, one_time, wallet


def _see_other(location):
    """A 303 to ``location`` without the HTML body Pyramid writes into one (it builds
    it from the Accept header, ~0.05 ms; a browser follows the Location unseen)."""
    response = HTTPSeeOther(location)
    response.empty_body = True
    return response


def _needs_step_up(request, amount, params=None):
    """The step-up redirect if ``amount`` needs one that was not proven, else None.

    From the confirming POST, the resident comes back to the confirm page with the
    same shop, programme and amount (a GET that only shows them), not to an empty form.
    """
    if amount <= _settings(request)["kairan.points.pay_stepup_above"]:
        return None
    level = required_level(request, "points.pay")
    if request.assurance.satisfies(level):
        return None
    if params is None or wants_json(request):
        return insufficient_assurance(request, level, action="points.pay")
    came_from = request.route_path("points.pay_confirm", _query={
        "code": params.get("code", ""), "programme": params.get("programme", ""),
        "amount": str(amount)})
    query = {"level": level, "came_from": came_from, "action": "points.pay"}
    return HTTPSeeOther(request.route_url("security.stepup") + "?" + urlencode(query))


def _refused(request, params, error):
    code = params.get("code", "")
    scan, one_time = _resolve(request, code)
    now = utcnow()
    if scan is None or not scan.can_take_payments or (
            one_time is not None and (one_time.used_at is not None
                                      or one_time.expires_at <= now)):
        return _pay_page(request, stage="code", code=code, alert=error.message,
                         status=error.status)
    return _amount_page(request, code, scan, one_time, alert=error.message,
                        status=error.status)


@view_config(route_name="points.pay_confirm", renderer=PAY, permission=Permission.MEMBER,
             request_method="GET")
def pay_confirm(request):
    try:
        scan, programme, amount, _one_time, _wallet = _checked(request, request.GET,
                                                                 utcnow())
    except PointsRefused as error:
        return _refused(request, request.GET, error)
    step_up = _needs_step_up(request, amount)
    if step_up is not None:
        return step_up
    return _pay_page(request, stage="confirm", code=request.GET["code"],
                     shop=_shop(request, scan), programme_id=programme.id,
                     programme=programme.localized_name(request.localizer.locale_name),
                     amount=amount, amount_text=f"{amount:,}",
                     key=secrets.token_urlsafe(24))


@view_config(route_name="points.pay_confirm", renderer=PAY, permission=Permission.MEMBER,
             request_method="POST")
def pay_submit(request):
    now = utcnow()
    params = request.POST
    key = params.get("idempotency_key", "")
    # the programme, the wallet, the shop's till and an earlier payment of this form,
    # in one statement
    context = _context(request, params, _scan(request, params.get("code", "")), now,
                       idempotency_key=key)
    found = context.replay
    if found is not None:
        # The same form again (a double click, a retry): the first result, if the same.
        if (str(found.programme_id), str(found.amount)) != (params.get("programme"),
                                                            params.get("amount")):
            error = IdempotencyConflict()
            return _pay_page(request, stage="code", code="", alert=error.message,
                             status=error.status)
        return _see_other(request.route_url("points.payment", id=found.id))
    try:
        scan, programme, amount, one_time, wallet = _checked(request, params, now, context)
        step_up = _needs_step_up(request, amount, params)
        if step_up is not None:
            return step_up
        # the audit entry is written with the payment (one statement on PostgreSQL)
        outcome = services.pay(
            request.dbsession, user_id=request.user.id, scan=scan, programme=programme,
            amount=amount, idempotency_key=key,
            max_payment=_settings(request)["kairan.points.max_payment"], now=now,
            one_time=one_time, wallet=wallet, audit_entry=entry_values(
                request, "points.payment",
                detail={"merchant": scan.merchant.id, "amount": amount}))
    except PointsRefused as error:
        request.tm.doom()
        audit_now(request, "points.payment", outcome="refused",
                  detail={"reason": type(error).__name__})
        return _refused(request, params, error)
    return _see_other(request.route_url("points.payment", id=outcome.payment.id))


@view_config(route_name="points.payment", renderer=RECEIPT, permission=Permission.MEMBER,
             request_method="GET")
def receipt(request):
    payment = services.payment_of_user(request.dbsession, matched_id(request),
                                       request.user.id)
    if payment is None:
        raise HTTPNotFound()
    merchant = _directory(request).get_merchant(request, payment.merchant_id)
    branch = _directory(request).get_branch(request, payment.branch_id)
    programme = request.dbsession.get(Programme, payment.programme_id)
    locale = request.localizer.locale_name
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": request.localizer.translate(_("Payment receipt")),
            "receipt": payment.receipt_code, "amount": f"{payment.amount:,}",
            "refunded": f"{payment.refunded:,}" if payment.refunded else None,
            "shop": merchant.name if merchant else "", "branch": branch.name if branch else "",
            "programme": programme.localized_name(locale), "at": _tokyo(payment.created),
            "wallet_url": request.route_path("points.wallet")}


def _merchant_or_404(context):
    if getattr(context, "merchant", None) is None:
        raise HTTPNotFound()
    return context.merchant


@view_config(route_name="points.merchant_payments", renderer=MERCHANT,
             permission=MERCHANT_PERMISSION, request_method="GET")
def merchant_payments(request, alert=None, status=None):
    merchant = _merchant_or_404(request.context)
    directory = _directory(request)
    shops = directory.branches_of(request, merchant.id)
    branches = {b.id: b.name for b in shops}  # closed ones too: they name past payments
    now = utcnow()
    refund_days = _settings(request)["kairan.points.refund_days"]
    payments_today = services.payments_of_day(request.dbsession, merchant.id, tokyo_date(now))
    rows = [{
        "id": p.id, "at": _tokyo(p.created), "receipt": p.receipt_code,
        "amount": f"{p.amount:,}", "refunded": f"{p.refunded:,}",
        "left": p.amount - p.refunded, "branch": branches.get(p.branch_id, ""),
        "refund_url": request.route_path("points.merchant_refund", merchant_id=merchant.id,
                                         id=p.id),
    } for p in payments_today]
    total = sum(p for p in (int(r["amount"].replace(",", "")) - int(
        r["refunded"].replace(",", "")) for r in rows))
    if status is not None:
        request.response.status_int = status
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": request.localizer.translate(_("Today's payments")),
            "merchant_name": merchant.name, "payments": rows, "total": f"{total:,}",
            "today": f"{tokyo_date(now):%Y-%m-%d}", "refund_days": refund_days,
            "key": secrets.token_urlsafe(24),
            "state": _state(payments_today),
            "latest_url": request.route_path("points.merchant_latest", merchant_id=merchant.id),
            "script_url": request.static_path("kairan_points:payments/static/staff.js"),
            # a one-time code only for a shop still open
            "branches": sorted((b.id, b.name) for b in shops if not b.closed),
            "one_time_url": request.route_path("points.merchant_one_time",
                                               merchant_id=merchant.id),
            "alert": request.localizer.translate(alert) if alert is not None else None,
            "self_url": request.route_path("points.merchant_payments",
                                           merchant_id=merchant.id)}


def _state(payments_today):
    """What changes when a payment arrives or is refunded: the page reloads when it does."""
    return f"{len(payments_today)}-{max((p.id for p in payments_today), default=0)}-" \
        f"{sum(p.refunded for p in payments_today)}"


@view_config(route_name="points.merchant_latest", renderer="json",
             permission=MERCHANT_PERMISSION, request_method="GET")
def merchant_latest(request):
    """The state of today's payments, polled by the staff page's script."""
    merchant = _merchant_or_404(request.context)
    found = services.payments_of_day(request.dbsession, merchant.id, tokyo_date(utcnow()))
    request.response.headers["Cache-Control"] = "no-store"
    return {"state": _state(found), "count": len(found)}


@view_config(route_name="points.merchant_refund", permission=MERCHANT_PERMISSION,
             request_method="POST", renderer=MERCHANT)
def merchant_refund(request):
    merchant = _merchant_or_404(request.context)
    payment = services.payment_of_merchant(request.dbsession, matched_id(request), merchant.id)
    if payment is None:
        raise HTTPNotFound()
    try:
        record = services.refund(
            request.dbsession, payment=payment, amount=_amount(request.POST.get("amount")),
            actor_id=request.user.id, idempotency_key=request.POST.get("idempotency_key", ""),
            refund_days=_settings(request)["kairan.points.refund_days"])
    except PointsRefused as error:
        request.tm.doom()
        audit_now(request, "points.refund", target=f"{services.PAYMENT_TARGET}{payment.id}",
                  outcome="refused", detail={"reason": type(error).__name__})
        return merchant_payments(request, alert=error.message, status=error.status)
    if not record.replayed:
        audit(request, "points.refund", target=f"{services.PAYMENT_TARGET}{payment.id}",
              detail={"merchant": merchant.id, "transfer": record.id})
    request.session.flash(request.localizer.translate(_("The refund is done.")))
    return HTTPSeeOther(request.route_url("points.merchant_payments", merchant_id=merchant.id))


@view_config(route_name="points.merchant_one_time", permission=MERCHANT_PERMISSION,
             request_method="POST", renderer=ONE_TIME)
def merchant_one_time(request):
    """A one-time code for an amount, shown once (only its digest is stored) as a QR code
    and as text; the payment appears on the payments page when a resident uses it."""
    merchant = _merchant_or_404(request.context)
    branches = {b.id: b for b in _directory(request).branches_of(request, merchant.id)
                if not b.closed}
    raw = request.POST.get("branch", "")
    branch = branches.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if not raw and len(branches) == 1:
        # no choice to make (a shop named but closed or unknown is refused, not replaced)
        branch = next(iter(branches.values()))
    settings = _settings(request)
    try:
        if branch is None:
            raise services.PaymentRefused(_("Choose the branch."))
        code, text = services.create_one_time(
            request.dbsession, merchant_id=merchant.id, branch_id=branch.id,
            amount=_amount(request.POST.get("amount")), created_by=request.user.id,
            seconds=settings["kairan.points.one_time_seconds"],
            max_payment=settings["kairan.points.max_payment"])
    except PointsRefused as error:
        request.tm.doom()
        # the payments page with the message (this view's own template is the code's)
        response = render_to_response(MERCHANT, merchant_payments(
            request, alert=error.message), request=request)
        response.status_int = error.status
        return response
    audit(request, "points.one_time.create", target=f"points-one-time:{code.id}",
          detail={"merchant": merchant.id, "amount": code.amount})
    import segno

    title = request.localizer.translate(_("One-time payment code"))
    svg = segno.make(text, error="m", micro=False).svg_inline(
        scale=6, border=4, dark="#000", light="#fff", title=title, svgclass="points-qr",
        lineclass=None)
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": title, "merchant_name": merchant.name, "branch": branch.name,
            "amount": f"{code.amount:,}", "text": text, "svg": svg,
            "expires": code.expires_at.astimezone(TOKYO).strftime("%H:%M:%S"),
            "payments_url": request.route_path("points.merchant_payments",
                                               merchant_id=merchant.id)}
