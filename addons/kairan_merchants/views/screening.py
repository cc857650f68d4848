"""The operators' pages: the application queue, one application, merchants, suspension."""

import itertools

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from kairan.accounts.models import User
from kairan.i18n.translation import _
from kairan_merchants.interfaces import SCREEN_PERMISSION
from kairan_merchants.models import APPLICATION_STATUSES, Merchant, MerchantApplication
from kairan_merchants.schemas import DecisionSchema, ProfileSchema, StatusSchema
from kairan_merchants.services import (
    MerchantError,
    approve_application,
    ask_for_information,
    change_profile,
    programme_coverage,
    reject_application,
    rotate_qr,
    set_merchant_status,
)
from kairan_merchants.views.common import make_form, matched_id, no_store, tokyo, validate
from kairan_merchants.views.labels import (
    application_summary,
    area_label,
    category_label,
    event_label,
    programme_label,
    status_label,
)

QUEUE_ORDER = {"submitted": 0, "info_requested": 1, "unconfirmed": 2, "approved": 3,
               "rejected": 4, "withdrawn": 5}


def _names(dbsession, ids):
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(dbsession.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _events(request, events):
    names = _names(request.dbsession, [e.actor_id for e in events])
    translate = request.localizer.translate
    return [{"at": tokyo(e.at), "what": event_label(request, e.kind), "text": e.text,
             "who": names.get(e.actor_id, "") if e.actor_id
             else translate(_("Applicant"))} for e in events]


@view_config(route_name="merchants.queue", renderer="kairan_merchants:templates/queue.pt",
             permission=SCREEN_PERMISSION, request_method="GET")
def queue(request):
    no_store(request)
    translate = request.localizer.translate
    status = request.GET.get("status") or "open"
    if status not in ("open", "all", *APPLICATION_STATUSES):
        request.response.status_int = 400
        status = "open"
    query = select(MerchantApplication)
    if status == "open":
        query = query.where(MerchantApplication.status.in_(("submitted", "info_requested")))
    elif status != "all":
        query = query.where(MerchantApplication.status == status)
    rows = sorted(request.dbsession.scalars(query.order_by(MerchantApplication.id)),
                  key=lambda a: (QUEUE_ORDER.get(a.status, 9), a.confirmed_at or a.created))
    settings = request.registry.settings
    return {
        "page_title": translate(_("Shop applications")),
        "status": status,
        "filters": [(code, translate(label)) for code, label in (
            ("open", _("To screen")), ("unconfirmed", _("E-mail not confirmed")),
            ("approved", _("Approved")), ("rejected", _("Not accepted")),
            ("withdrawn", _("Withdrawn")), ("all", _("All")))],
        "applications": [{
            "url": request.route_path("merchants.review", application_id=a.id),
            "id": a.id, "trade_name": a.trade_name, "legal_name": a.legal_name,
            "category": category_label(request, a.category),
            "status": status_label(request, a.status), "status_code": a.status,
            "received": tokyo(a.confirmed_at or a.created),
        } for a in rows],
        "coverage": [{"programme": p.label(request.locale_name),
                      "missing": [category_label(request, c) for c in missing]}
                     for p, missing in programme_coverage(
                         request.dbsession, settings["kairan.merchants.programme_list"])],
        "merchants_url": request.route_path("merchants.manage_list"),
    }


@view_config(route_name="merchants.review", renderer="kairan_merchants:templates/review.pt",
             permission=SCREEN_PERMISSION)
def review(request):
    no_store(request)
    translate = request.localizer.translate
    application = request.dbsession.get(MerchantApplication,
                                        matched_id(request, "application_id"))
    if application is None:
        raise HTTPNotFound()
    form = make_form(request, DecisionSchema(), _("Record the decision"))
    decidable = application.status in ("submitted", "info_requested")
    rendered, alert = None, None
    if request.method == "POST":
        if not decidable:
            request.response.status_int = 400
            alert = _("This application has already been decided or is not confirmed yet.")
        else:
            data, rendered = validate(request, form)
            if data is None:
                request.response.status_int = 400
            else:
                try:
                    merchant = _decide(request, application, data)
                except MerchantError as e:
                    request.response.status_int = 400
                    alert = e.message
                else:
                    request.session.flash(translate(_("The decision is recorded and the "
                                                      "applicant has been mailed.")))
                    if merchant is not None:
                        return HTTPSeeOther(request.route_path("merchants.manage",
                                                               merchant_id=merchant.id))
                    return HTTPSeeOther(request.route_path("merchants.queue"))
    merchant_id = request.dbsession.scalar(
        select(Merchant.id).where(Merchant.application_id == application.id))
    decided_by = _names(request.dbsession, [application.decided_by_id]).get(
        application.decided_by_id, "")
    return {
        "page_title": translate(_("Application: ${name}",
                                  mapping={"name": application.trade_name})),
        "status": status_label(request, application.status),
        "status_code": application.status,
        "summary": application_summary(request, application),
        "declarations": application.declared_not_antisocial
        and application.declared_not_adult_business
        and application.declared_no_cash_equivalents,
        "events": _events(request, application.events),
        "form": (rendered or form.render()) if decidable else None,
        "alert": translate(alert) if alert else None,
        "decided": tokyo(application.decided_at), "decided_by": decided_by,
        "merchant_url": request.route_path("merchants.manage", merchant_id=merchant_id)
        if merchant_id else None,
        "queue_url": request.route_path("merchants.queue"),
    }


def _decide(request, application, data):
    text = data["text"]
    if data["decision"] == "approve":
        return approve_application(request, application, text)
    if data["decision"] == "reject":
        reject_application(request, application, text)
    else:
        ask_for_information(request, application, text)
    return None


@view_config(route_name="merchants.manage_list",
             renderer="kairan_merchants:templates/manage_list.pt",
             permission=SCREEN_PERMISSION, request_method="GET")
def manage_list(request):
    no_store(request)
    translate = request.localizer.translate
    merchants = request.dbsession.scalars(select(Merchant).order_by(Merchant.name, Merchant.id))
    return {
        "page_title": translate(_("Registered merchants")),
        "merchants": [{"url": request.route_path("merchants.manage", merchant_id=m.id),
                       "name": m.name, "legal_name": m.legal_name,
                       "category": category_label(request, m.category),
                       "status": status_label(request, m.status), "status_code": m.status,
                       "branches": len(m.branches)} for m in merchants],
        "queue_url": request.route_path("merchants.queue"),
    }


@view_config(route_name="merchants.manage", renderer="kairan_merchants:templates/manage.pt",
             permission=SCREEN_PERMISSION)
def manage(request):
    no_store(request)
    translate = request.localizer.translate
    merchant = request.dbsession.get(Merchant, matched_id(request, "merchant_id"))
    if merchant is None:
        raise HTTPNotFound()
    suspend = merchant.status == "active"
    counter = itertools.count()  # the two forms' field ids stay unique on the page
    form = make_form(request, StatusSchema(),
                     _("Suspend the shop") if suspend else _("Reinstate the shop"),
                     formid="status", counter=counter)
    profile_form = make_form(request, ProfileSchema(), _("Change the registration"),
                             formid="profile", counter=counter)
    rendered, rendered_profile, alert = None, None, None
    if request.method == "POST":
        formid = request.POST.get("__formid__")
        if formid == "status":
            data, rendered = validate(request, form)
            if data is not None:
                try:
                    set_merchant_status(request, merchant,
                                        "suspended" if suspend else "active", data["reason"])
                except MerchantError as e:
                    alert = e.message
                else:
                    request.session.flash(translate(
                        _("The shop is suspended: it cannot take points.") if suspend
                        else _("The shop is reinstated.")))
                    return HTTPSeeOther(request.path)
        elif formid == "profile":
            data, rendered_profile = validate(request, profile_form)
            if data is not None:
                try:
                    change_profile(request, merchant, data, data["reason"])
                except MerchantError as e:
                    alert = e.message
                    rendered_profile = profile_form.render(data)
                else:
                    request.session.flash(translate(_(
                        "The registration is changed and the shop's staff have been "
                        "mailed.")))
                    return HTTPSeeOther(request.path)
        elif formid == "rotate":
            branch = _branch_of(merchant, request.POST.get("branch_id"))
            if branch is not None:
                rotate_qr(request, branch)
                request.session.flash(translate(_("The QR code of ${name} was renewed; the "
                                                  "old one no longer works.",
                                                  mapping={"name": branch.name})))
                return HTTPSeeOther(request.path)
            alert = _("Choose a shop of this merchant.")
        else:
            alert = _("This form cannot be used now. Please reload the page.")
        request.response.status_int = 400
    changed_by = _names(request.dbsession, [merchant.status_changed_by_id]).get(
        merchant.status_changed_by_id, "")
    return {
        "page_title": merchant.name,
        "merchant": merchant,
        "programmes": [programme_label(request, p) for p in merchant.programmes or ()],
        "category": category_label(request, merchant.category),
        "status": status_label(request, merchant.status),
        "suspended": merchant.status == "suspended",
        "status_changed": tokyo(merchant.status_changed_at), "status_changed_by": changed_by,
        "branches": [{"id": b.id, "name": b.name, "name_en": b.name_en, "address": b.address,
                      "area_label": area_label(request, b.area), "phone": b.phone,
                      "postal_code": b.postal_code, "hours": b.hours,
                      "qr_version": b.qr_version, "closed": tokyo(b.closed_at)}
                     for b in merchant.branches],
        "events": _events(request, merchant.events),
        "form": rendered or form.render(),
        "profile_form": rendered_profile or profile_form.render({
            "name": merchant.name, "name_en": merchant.name_en or "",
            "category": merchant.category, "programmes": set(merchant.programmes or ())}),
        "alert": translate(alert) if alert else None,
        "application_url": request.route_path("merchants.review",
                                              application_id=merchant.application_id)
        if merchant.application_id else None,
        "list_url": request.route_path("merchants.manage_list"),
    }


def _branch_of(merchant, raw_id):
    try:
        branch_id = int(raw_id or "")
    except ValueError:
        return None
    return next((b for b in merchant.branches if b.id == branch_id and not b.closed), None)
