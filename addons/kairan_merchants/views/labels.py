"""Translated labels of codes (statuses, categories, areas, programmes) for the templates."""

from kairan.i18n.translation import _
from kairan_merchants.services import CATEGORIES

STATUS_LABELS = {
    "unconfirmed": _("Waiting for your e-mail confirmation"),
    "submitted": _("Being screened"),
    "info_requested": _("Waiting for more information from the applicant"),
    "approved": _("Approved"),
    "rejected": _("Not accepted"),
    "withdrawn": _("Withdrawn"),
    "active": _("Active"),
    "suspended": _("Suspended"),
}
EVENT_LABELS = {
    "submitted": _("Application sent"),
    "confirmed": _("E-mail address confirmed"),
    "question": _("Question to the applicant"),
    "answer": _("Answer from the applicant"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "suspended": _("Suspended"),
    "reinstated": _("Reinstated"),
    "qr_rotated": _("QR code renewed"),
    "staff_added": _("Staff added"),
    "staff_removed": _("Staff removed"),
    "shop_changed": _("Shop details changed"),
    "withdrawn": _("Withdrawn by the applicant"),
    "branch_added": _("Shop added"),
    "branch_closed": _("Shop closed"),
    "profile_changed": _("Registration changed"),
}


def status_label(request, code):
    return request.localizer.translate(STATUS_LABELS.get(code, code))


def event_label(request, code):
    return request.localizer.translate(EVENT_LABELS.get(code, code))


def category_label(request, code):
    title = dict(CATEGORIES).get(code)
    return request.localizer.translate(title) if title is not None else code


def _choice_label(request, key, code):
    for choice in request.registry.settings[key]:
        if choice.code == code:
            return choice.label(request.locale_name)
    return code


def area_label(request, code):
    return _choice_label(request, "kairan.merchants.area_list", code)


def programme_label(request, code):
    return _choice_label(request, "kairan.merchants.programme_list", code)


def application_summary(request, application):
    """``[(label, value)]`` of what the applicant sent, and the branches as dicts."""
    translate = request.localizer.translate
    rows = [
        (translate(_("Legal name of the business")), application.legal_name),
        (translate(_("Shop or brand name")), application.trade_name),
        (translate(_("Category")), category_label(request, application.category)),
        (translate(_("Point programmes to join")),
         "、".join(programme_label(request, p) for p in application.programmes)),
        (translate(_("Contact person")), application.contact_name),
        (translate(_("E-mail address")), application.contact_email),
        (translate(_("Contact phone number")), application.contact_phone),
    ]
    branches = [dict(b, area_label=area_label(request, b.get("area")))
                for b in application.branches]
    return {"rows": rows, "branches": branches}

