"""Operators' pages: programmes, manual grants and corrections, approvals.

Every change is audited. A grant above ``kairan.points.grant_approval_threshold``
waits for a second operator; the requester can never approve their own.
"""

import secrets

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select

from kairan.accounts.forms import make_form
from kairan.accounts.models import User
from kairan.accounts.views.common import PAGE, page, submitted
from kairan.audit.services import audit, audit_now
from kairan.i18n.translation import _
from kairan_points import services
from kairan_points.errors import PointsRefused
from kairan_points.models import ISSUER, Account, PendingGrant, Programme
from kairan_points.schemas import GrantSchema, ProgrammeSchema
from kairan_points.views import OPERATE, matched_id

LIST = "kairan_points:templates/manage.pt"
APPROVALS = "kairan_points:templates/approvals.pt"


def _settings(request):
    return request.registry.settings


def _money(value):
    return f"{value:,}"


@view_config(route_name="points.manage", renderer=LIST, permission=OPERATE,
             request_method="GET")
def manage(request):
    locale = request.localizer.locale_name
    issued = dict(request.dbsession.execute(
        select(Account.programme_id, -Account.balance).where(Account.kind == ISSUER)).all())
    rows = []
    for programme in services.programmes(request.dbsession):
        rows.append({
            "id": programme.id, "code": programme.code,
            "name": programme.localized_name(locale),
            "period": f"{programme.spend_from:%Y-%m-%d} – {programme.spend_until:%Y-%m-%d}",
            "expiry": (f"{programme.expires_on:%Y-%m-%d}" if programme.expiry_kind == "fixed"
                       else None),
            "expiry_days": programme.expiry_days,
            "categories": ", ".join(programme.categories or []),
            "budget": _money(programme.budget),
            "issued": _money(issued.get(programme.id, 0)),
            "edit_url": request.route_path("points.programme_edit", id=programme.id),
        })
    pending = request.dbsession.scalar(select(func.count()).select_from(PendingGrant)
                                       .where(PendingGrant.status == "pending"))
    request.response.headers["Cache-Control"] = "no-store"
    return {"page_title": request.localizer.translate(_("Points programmes")),
            "programmes": rows, "pending": pending,
            "threshold": _money(_settings(request)["kairan.points.grant_approval_threshold"])}


def _programme_form(request):
    return make_form(request, ProgrammeSchema(), _("Save"))


@view_config(route_name="points.programme_add", renderer=PAGE, permission=OPERATE,
             request_method=("GET", "POST"))
def programme_add(request):
    title = _("New points programme")
    intro = [_("Dates are in Japan time. Points expiring on a date expire at 00:00 that day.")]
    data, shown = submitted(request, _programme_form(request), title, intro)
    if shown is not None:
        return shown
    try:
        programme = services.create_programme(request.dbsession, data)
    except PointsRefused as error:
        return page(request, title, intro, _programme_form(request).render(data), status=400,
                    alert=error.message)
    audit(request, "points.programme.create", target=f"points-programme:{programme.id}",
          detail={"code": programme.code, "budget": programme.budget})
    request.session.flash(request.localizer.translate(_("The programme is saved.")))
    return HTTPSeeOther(request.route_url("points.manage"))


@view_config(route_name="points.programme_edit", renderer=PAGE, permission=OPERATE,
             request_method=("GET", "POST"))
def programme_edit(request):
    programme = request.dbsession.get(Programme, matched_id(request))
    if programme is None:
        raise HTTPNotFound()
    title = _("Edit the points programme")
    intro = [_("The budget cannot be set below the points already issued.")]
    current = {key: getattr(programme, key) for key in services.PROGRAMME_FIELDS}
    current["budget"] = programme.budget
    data, shown = submitted(request, _programme_form(request), title, intro, appstruct=current)
    if shown is not None:
        return shown
    try:
        services.update_programme(request.dbsession, programme, data)
    except PointsRefused as error:
        return page(request, title, intro, _programme_form(request).render(data), status=400,
                    alert=error.message)
    audit(request, "points.programme.update", target=f"points-programme:{programme.id}",
          detail={"code": programme.code, "budget": programme.budget})
    request.session.flash(request.localizer.translate(_("The programme is saved.")))
    return HTTPSeeOther(request.route_url("points.manage"))


def programme_choices(request):
    """``[(id as text, name in the request's language)]`` of every programme: the choices
    of the forms that pick a programme (grants, campaigns, community activities)."""
    locale = request.localizer.locale_name
    return [(str(p.id), p.localized_name(locale)) for p in services.programmes(request.dbsession)]


def _grant_form(request, button):
    return make_form(request, GrantSchema(), button, programmes=programme_choices(request),
                     limit=_settings(request)["kairan.points.max_grant"])


def _new_key():
    return {"idempotency_key": secrets.token_urlsafe(24)}


def _resident(request, email):
    return request.dbsession.scalars(select(User).where(User.email == email)).first()


def _grant_page(request, title, intro, button, act):
    form = _grant_form(request, button)
    data, shown = submitted(request, form, title, intro, appstruct=_new_key())
    if shown is not None:
        return shown
    resident = _resident(request, data["email"])
    programme = request.dbsession.get(Programme, int(data["programme"]))
    if resident is None:
        return page(request, title, intro, _grant_form(request, button).render(data),
                    status=400, alert=_("There is no account with this e-mail address."))
    try:
        return act(data, programme, resident)
    except PointsRefused as error:
        request.response.status_int = error.status
        return page(request, title, intro, _grant_form(request, button).render(data),
                    status=error.status, alert=error.message)


@view_config(route_name="points.grant", renderer=PAGE, permission=OPERATE,
             request_method=("GET", "POST"), assurance="points.grant")
def grant(request):
    threshold = _settings(request)["kairan.points.grant_approval_threshold"]
    title = _("Grant points")
    intro = [_("Grants above ${threshold} points take effect when another operator approves "
               "them.", mapping={"threshold": _money(threshold)})]

    def act(data, programme, resident):
        outcome = services.request_grant(
            request.dbsession, programme, resident.id, data["amount"], data["reason"],
            actor_id=request.user.id, idempotency_key="grant:" + data["idempotency_key"],
            threshold=threshold, limit=_settings(request)["kairan.points.max_grant"])
        detail = {"programme": programme.code, "amount": data["amount"]}
        # the same form sent again (a double click, a retry) is one action, audited once
        if outcome.pending is not None:
            if not outcome.replayed:
                audit(request, "points.grant.request", target=f"user:{resident.id}",
                      detail=detail | {"pending_grant": outcome.pending.id})
            message = _("The grant waits for another operator's approval.")
        else:
            if not outcome.replayed:
                audit(request, "points.grant", target=f"user:{resident.id}",
                      detail=detail | {"transfer": outcome.transfer.id})
            message = _("The points are granted.")
        request.session.flash(request.localizer.translate(message))
        return HTTPSeeOther(request.route_url("points.manage"))

    return _grant_page(request, title, intro, _("Grant"), act)


@view_config(route_name="points.correct", renderer=PAGE, permission=OPERATE,
             request_method=("GET", "POST"), assurance="points.grant")
def correct(request):
    title = _("Correct a wallet")
    intro = [_("Takes points back from a resident's wallet into the programme's budget, "
               "for example after a grant made in error. A wallet never goes below zero.")]

    def act(data, programme, resident):
        record = services.correct(
            request.dbsession, programme, resident.id, data["amount"], data["reason"],
            actor_id=request.user.id, idempotency_key="correct:" + data["idempotency_key"],
            limit=_settings(request)["kairan.points.max_grant"])
        audit(request, "points.correct", target=f"user:{resident.id}",
              detail={"programme": programme.code, "amount": data["amount"],
                      "transfer": record.id})
        request.session.flash(request.localizer.translate(_("The wallet is corrected.")))
        return HTTPSeeOther(request.route_url("points.manage"))

    return _grant_page(request, title, intro, _("Take the points back"), act)


def _approvals(request, error=None):
    locale = request.localizer.locale_name
    rows = request.dbsession.execute(
        select(PendingGrant, Programme, User)
        .join(Programme, Programme.id == PendingGrant.programme_id)
        .outerjoin(User, User.id == PendingGrant.user_id)
        .where(PendingGrant.status == "pending").order_by(PendingGrant.requested_at)).all()
    requesters = dict(request.dbsession.execute(
        select(User.id, User.display_name)
        .where(User.id.in_({p.requested_by for p, _pr, _u in rows}))).all()) if rows else {}
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": request.localizer.translate(_("Grants waiting for approval")),
        "error": error,
        "grants": [{
            "id": pending.id, "programme": programme.localized_name(locale),
            "resident": user.email if user is not None else "—",
            "amount": _money(pending.amount), "reason": pending.reason,
            "requested_by": requesters.get(pending.requested_by, str(pending.requested_by)),
            "own": pending.requested_by == request.user.id,
            "url": request.route_path("points.decide", id=pending.id),
        } for pending, programme, user in rows],
    }


@view_config(route_name="points.approvals", renderer=APPROVALS, permission=OPERATE,
             request_method="GET")
def approvals(request):
    return _approvals(request)


@view_config(route_name="points.decide", renderer=APPROVALS, permission=OPERATE,
             request_method="POST", assurance="points.grant")
def decide(request):
    pending_id = matched_id(request)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        request.response.status_int = 400
        return _approvals(request, _("Choose approve or reject."))
    act = services.approve_grant if decision == "approve" else services.reject_grant
    try:
        pending = act(request.dbsession, pending_id, request.user.id)
    except PointsRefused as error:
        audit_now(request, f"points.grant.{decision}", target=f"points-grant:{pending_id}",
                  outcome="denied", detail={"reason": str(error)})
        request.response.status_int = error.status
        return _approvals(request, error.message)
    audit(request, f"points.grant.{decision}", target=f"points-grant:{pending_id}",
          detail={"amount": pending.amount, "user": pending.user_id,
                  "requested_by": pending.requested_by, "transfer": pending.transfer_id})
    message = _("The grant is approved and the points are granted.") \
        if decision == "approve" else _("The grant is rejected.")
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("points.approvals"))

