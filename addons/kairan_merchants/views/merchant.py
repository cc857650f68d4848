"""A merchant's own pages: profile, shops, staff, QR posters. Only its staff get in.

Every route's context comes from ``IMerchantDirectory.context_for``: its ACL
grants ``merchants.own`` to the merchant's staff alone, so another merchant's
staff are refused (403) before a view runs, and an id that does not exist is
refused the same way, then answered 404 for those allowed everywhere.
"""

import itertools

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from kairan.accounts.models import User
from kairan.i18n.translation import _
from kairan_merchants import qr
from kairan_merchants.interfaces import MERCHANT_PERMISSION
from kairan_merchants.models import MerchantEvent, MerchantStaff
from kairan_merchants.pages import merchant_pages
from kairan_merchants.schemas import ConfirmSchema, HoursSchema, NewBranchSchema, StaffSchema
from kairan_merchants.services import (
    MerchantError,
    add_branch,
    add_staff,
    branch_payload,
    close_branch,
    remove_staff,
    rotate_qr,
    staff_merchant_ids,
)
from kairan_merchants.views.common import (
    PAGE,
    make_form,
    matched_id,
    no_store,
    page,
    tokyo,
    validate,
)
from kairan_merchants.views.labels import area_label, category_label, programme_label


def _merchant(request):
    """The context's merchant row, or 404."""
    merchant = request.context.row
    if merchant is None:
        raise HTTPNotFound()
    no_store(request)
    return merchant


def _branch(request, merchant):
    """The route's branch of this merchant, open; 404 otherwise (another merchant's branch
    or a closed one: a closed shop's code is not shown again)."""
    branch_id = matched_id(request, "branch_id")
    branch = next((b for b in merchant.branches if b.id == branch_id), None)
    if branch is None or branch.closed:
        raise HTTPNotFound()
    return branch


def _base(request, merchant, title):
    translate = request.localizer.translate
    home = request.route_path("merchants.home", merchant_id=merchant.id)
    return {
        "page_title": translate(title),
        "merchant_name": merchant.localized_name(request.locale_name),
        "suspended": merchant.status == "suspended",
        "suspension_reason": merchant.status_reason,
        "home_url": home,
        "nav": [(request.route_path(route, merchant_id=merchant.id), translate(label))
                for route, label in (("merchants.home", _("Shop profile")),
                                     ("merchants.branches", _("Shops and opening hours")),
                                     ("merchants.staff", _("Staff")),
                                     ("merchants.posters", _("QR code posters")))]
        + merchant_pages(request, merchant.id),
    }


@view_config(route_name="merchants.mine", renderer=PAGE, request_method="GET")
def mine(request):
    """Signed-in staff land on their merchant's page (or choose among several)."""
    no_store(request)
    ids = staff_merchant_ids(request.dbsession, request.user.id)
    if len(ids) == 1:
        return HTTPSeeOther(request.route_path("merchants.home", merchant_id=ids[0]))
    directory_links = [(request.route_path("merchants.home", merchant_id=i), f"#{i}")
                       for i in ids]
    if not ids:
        return page(request, _("My shop"), [_("Your account is not staff of any shop. To "
                                                "register a shop, apply first.")],
                    links=[(request.route_path("merchants.apply"), _("Apply"))])
    return page(request, _("My shop"), [_("Choose a shop.")], links=directory_links)


@view_config(route_name="merchants.home", renderer="kairan_merchants:templates/home.pt",
             permission=MERCHANT_PERMISSION, request_method="GET")
def home(request):
    merchant = _merchant(request)
    values = _base(request, merchant, merchant.localized_name(request.locale_name))
    values.update({
        "merchant": merchant,
        "category": category_label(request, merchant.category),
        "programmes": [programme_label(request, p) for p in merchant.programmes or ()],
    })
    return values


@view_config(route_name="merchants.branches", renderer="kairan_merchants:templates/branches.pt",
             permission=MERCHANT_PERMISSION)
def branches(request):
    """The merchant's shops: each open one's English name, hours and phone; a form to add a
    shop; links to close one (a confirmation page). Closed shops are listed apart."""
    merchant = _merchant(request)
    translate = request.localizer.translate
    open_branches = [b for b in merchant.branches if not b.closed]
    forms, alert = {}, None
    counter = itertools.count()  # the forms' field ids stay unique on the page
    for branch in open_branches:
        forms[branch.id] = make_form(request, HoursSchema(), _("Save"),
                                     formid=f"branch-{branch.id}", counter=counter)
    add_form = make_form(request, NewBranchSchema(), _("Add the shop"), formid="add-branch",
                         counter=counter)
    rendered, rendered_add = {}, None
    if request.method == "POST":
        formid = request.POST.get("__formid__", "")
        branch = next((b for b in open_branches if f"branch-{b.id}" == formid), None)
        if formid == "add-branch":
            data, rendered_add = validate(request, add_form)
            if data is not None:
                try:
                    added = add_branch(request, merchant, data)
                except MerchantError as e:
                    alert = translate(e.message)
                    rendered_add = add_form.render(data)
                else:
                    request.session.flash(translate(_(
                        "${name} was added. Print its QR code poster on the posters page.",
                        mapping={"name": added.name})))
                    return HTTPSeeOther(request.path)
            request.response.status_int = 400
        elif branch is None:
            request.response.status_int = 400
            alert = translate(_("This form cannot be used now. Please reload the page."))
        else:
            data, rendered[branch.id] = validate(request, forms[branch.id])
            if data is None:
                request.response.status_int = 400
            else:
                branch.name_en = data["name_en"]
                branch.hours = data["hours"]
                branch.phone = data["phone"]
                merchant.events.append(MerchantEvent(kind="shop_changed",
                                                     actor_id=request.user.id,
                                                     text=f"branch:{branch.id}"))
                from kairan.audit.services import audit

                audit(request, "merchants.shop_change", target=f"merchant_branch:{branch.id}")
                request.session.flash(translate(_("Saved.")))
                return HTTPSeeOther(request.path)
    values = _base(request, merchant, _("Shops and opening hours"))
    values["alert"] = alert
    values["branches"] = [{
        "name": b.name, "name_en": b.name_en, "postal_code": b.postal_code,
        "address": b.address, "area_label": area_label(request, b.area), "phone": b.phone,
        "hours": b.hours,
        "form": rendered.get(b.id) or forms[b.id].render(
            {"name_en": b.name_en, "hours": b.hours, "phone": b.phone}),
        "public_url": request.route_path("merchants.shop", branch_id=b.id),
        "close_url": request.route_path("merchants.branch_close", merchant_id=merchant.id,
                                        branch_id=b.id) if len(open_branches) > 1 else None,
    } for b in open_branches]
    values["closed_branches"] = [{"name": b.name, "address": b.address,
                                  "closed": tokyo(b.closed_at)}
                                 for b in merchant.branches if b.closed]
    values["add_form"] = rendered_add or add_form.render()
    values["can_add"] = merchant.status == "active"
    return values


@view_config(route_name="merchants.branch_close",
             renderer="kairan_merchants:templates/branch_close.pt",
             permission=MERCHANT_PERMISSION)
def branch_close(request):
    """Confirm, then close a shop: it leaves the directory and its code stops working."""
    merchant = _merchant(request)
    branch = _branch(request, merchant)
    translate = request.localizer.translate
    form = make_form(request, ConfirmSchema(), _("Close this shop"), formid="close")
    alert = None
    if request.method == "POST":
        data, _rendered = validate(request, form)
        if data is None:
            alert = translate(_("This form cannot be used now. Please reload the page."))
        else:
            try:
                close_branch(request, branch)
            except MerchantError as e:
                alert = translate(e.message)
            else:
                request.session.flash(translate(_(
                    "${name} is closed: it is no longer in the directory and its QR code "
                    "no longer takes payments.", mapping={"name": branch.name})))
                return HTTPSeeOther(request.route_path("merchants.branches",
                                                       merchant_id=merchant.id))
        request.response.status_int = 400
    values = _base(request, merchant, _("Close a shop"))
    values.update({
        "alert": alert,
        "branch": {"name": branch.name, "address": branch.address,
                   "postal_code": branch.postal_code},
        "form": form.render(),
        "cancel_url": request.route_path("merchants.branches", merchant_id=merchant.id),
    })
    return values


@view_config(route_name="merchants.staff", renderer="kairan_merchants:templates/staff.pt",
             permission=MERCHANT_PERMISSION)
def staff(request):
    merchant = _merchant(request)
    translate = request.localizer.translate
    form = make_form(request, StaffSchema(), _("Add staff"), formid="add")
    rendered, alert = None, None
    if request.method == "POST":
        formid = request.POST.get("__formid__")
        try:
            if formid == "add":
                data, rendered = validate(request, form)
                if data is not None:
                    add_staff(request, merchant, data["email"], data["display_name"],
                              request.locale_name)
                    request.session.flash(translate(_("Added. We have mailed them how to "
                                                      "sign in.")))
                    return HTTPSeeOther(request.path)
            elif formid == "remove":
                try:
                    user_id = int(request.POST.get("user_id") or "")
                except ValueError:
                    user_id = 0
                remove_staff(request, merchant, user_id)
                request.session.flash(translate(_("Removed.")))
                return HTTPSeeOther(request.path)
            else:
                alert = _("This form cannot be used now. Please reload the page.")
        except MerchantError as e:
            alert = e.message
        request.response.status_int = 400
    people = request.dbsession.execute(
        select(User.id, User.display_name, User.email)
        .join(MerchantStaff, MerchantStaff.user_id == User.id)
        .where(MerchantStaff.merchant_id == merchant.id).order_by(User.display_name)).all()
    values = _base(request, merchant, _("Staff"))
    values.update({
        "alert": translate(alert) if alert else None,
        "people": [{"id": i, "name": n, "email": e, "me": i == request.user.id}
                   for i, n, e in people],
        "form": rendered or form.render(),
    })
    return values


@view_config(route_name="merchants.posters", renderer="kairan_merchants:templates/posters.pt",
             permission=MERCHANT_PERMISSION)
def posters(request):
    merchant = _merchant(request)
    translate = request.localizer.translate
    if request.method == "POST":
        try:
            branch_id = int(request.POST.get("branch_id") or "")
        except ValueError:
            branch_id = 0
        branch = next((b for b in merchant.branches if b.id == branch_id and not b.closed),
                      None)
        if branch is None:
            request.response.status_int = 400
            values = _base(request, merchant, _("QR code posters"))
            values["alert"] = translate(_("Choose a shop of this merchant."))
            values["branches"] = _poster_rows(request, merchant)
            return values
        rotate_qr(request, branch)
        request.session.flash(translate(_("The QR code of ${name} was renewed; the old one no "
                                          "longer works. Print the new poster.",
                                          mapping={"name": branch.name})))
        return HTTPSeeOther(request.path)
    values = _base(request, merchant, _("QR code posters"))
    values["alert"] = None
    values["branches"] = _poster_rows(request, merchant)
    return values


def _poster_rows(request, merchant):
    return [{"id": b.id, "name": b.name, "version": b.qr_version,
             "url": request.route_path("merchants.poster", merchant_id=merchant.id,
                                       branch_id=b.id),
             "svg_url": request.route_path("merchants.qr_svg", merchant_id=merchant.id,
                                           branch_id=b.id)}
            for b in merchant.branches if not b.closed]


@view_config(route_name="merchants.poster", renderer="kairan_merchants:templates/poster.pt",
             permission=MERCHANT_PERMISSION, request_method="GET")
def poster(request):
    merchant = _merchant(request)
    branch = _branch(request, merchant)
    settings = request.registry.settings
    translate = request.localizer.translate
    text = qr.code_text(settings, branch_payload(settings, branch))
    return {
        "page_title": translate(_("QR code poster: ${name}", mapping={"name": branch.name})),
        "site_title": settings["kairan.site_title"],
        "merchant_name": merchant.localized_name(request.locale_name),
        "branch_name": branch.name,
        "suspended": merchant.status == "suspended",
        "qr_svg": qr.svg(text, translate(_("QR code to pay with points at ${name}",
                                           mapping={"name": branch.name}))),
        "code_id": f"{branch.id}-{branch.qr_version}",
        "programmes": [programme_label(request, p) for p in merchant.programmes or ()],
        "back_url": request.route_path("merchants.posters", merchant_id=merchant.id),
        "locale": request.locale_name,
    }


@view_config(route_name="merchants.qr_svg", permission=MERCHANT_PERMISSION,
             request_method="GET")
def qr_svg(request):
    merchant = _merchant(request)
    branch = _branch(request, merchant)
    settings = request.registry.settings
    body = qr.svg_document(qr.code_text(settings, branch_payload(settings, branch)),
                           branch.name)
    response = Response(body=body, content_type="image/svg+xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="qr-{branch.id}-{branch.qr_version}.svg"')
    response.headers["Cache-Control"] = "no-store"
    return response
