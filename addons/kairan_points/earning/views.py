"""Checking in at a community activity; the organisers' activities and printable codes.

A resident types (or scans, where the camera opens the printed link) the
activity's code at ``/points/checkin``; the code is an HMAC-signed payload
(``kairan_points.earning.services.sign``), so it cannot be forged or turned
into another activity's code. An organiser sees only the activities they created
(another's is a 404, its code never shown); operators and managers see every one.
Nobody here sees a resident's wallet.
"""

import re
import unicodedata
from datetime import datetime, time

import colander
import deform.widget
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from kairan.accounts.forms import make_form
from kairan.accounts.schemas import CSRFSchema
from kairan.accounts.views.common import PAGE, page, submitted
from kairan.audit.services import audit, audit_now
from kairan.i18n.translation import _
from kairan.security.permissions import Permission
from kairan_points import services as points_services
from kairan_points.earning import ORGANISE, services
from kairan_points.earning.models import Activity
from kairan_points.errors import PointsRefused
from kairan_points.models import Programme
from kairan_points.schemas import (
    amount_node,
    date_node,
    deferred_programme_choices,
    deferred_programme_validator,
    text_node,
)
from kairan_points.views import OPERATE, PointsManagement, matched_id
from kairan_points.views.manage import programme_choices

ACTIVITIES = "kairan_points:templates/earning/activities.pt"
ACTIVITY = "kairan_points:templates/earning/activity.pt"
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class CheckInSchema(CSRFSchema):
    code = colander.SchemaNode(
        colander.String(), title=_("The activity's code"),
        description=_("Printed under the activity's QR code, e.g. KA1.12.AbC…"),
        preparer=lambda v: unicodedata.normalize("NFKC", v).strip() if isinstance(v, str)
        else v,
        validator=colander.Length(min=1, max=500, max_err=_("At most ${max} characters.")),
        widget=deform.widget.TextInputWidget(attributes={
            "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}))


class ClockTime(colander.SchemaType):
    """A time of day typed as HH:MM (24 hours)."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else appstruct.strftime(
            "%H:%M")

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        text = unicodedata.normalize("NFKC", cstruct).strip() if isinstance(cstruct, str) \
            else ""
        if not TIME_RE.match(text):
            raise colander.Invalid(node, _("Enter a time as HH:MM, such as 09:30."))
        return time(int(text[:2]), int(text[3:]))


def time_node(title):
    return colander.SchemaNode(ClockTime(), title=title,
                               widget=deform.widget.TextInputWidget(attributes={"type": "time"}))


class ActivitySchema(CSRFSchema):
    title = text_node(_("Title (Japanese)"), 200)
    title_en = text_node(_("Title (English)"), 200, required=False)
    place = text_node(_("Place"), 200)
    day = date_node(_("Date"))
    start = time_node(_("Check-in opens at (Japan time)"))
    end = time_node(_("Check-in closes at (Japan time)"))
    programme = colander.SchemaNode(colander.String(), title=_("Programme"),
                                    widget=deferred_programme_choices,
                                    validator=deferred_programme_validator)
    points = amount_node(_("Points for taking part"))

    def validator(self, node, value):
        if value["end"] <= value["start"]:
            error = colander.Invalid(node)
            error["end"] = _("Check-in must close after it opens.")
            raise error


def _activity_form(request):
    return make_form(request, ActivitySchema(), _("Create the activity"),
                     programmes=programme_choices(request),
                     limit=request.registry.settings["kairan.points.max_grant"])


def _secret(request):
    return request.registry.settings["kairan.secret"]


# -- residents ------------------------------------------------------------------------------

def _checkin_form(request):
    return make_form(request, CheckInSchema(), _("Check in"),
                     action=request.route_path("points.checkin"))


@view_config(route_name="points.checkin", renderer=PAGE, permission=Permission.MEMBER,
             request_method=("GET", "POST"))
def checkin(request):
    title = _("Check in at an activity")
    intro = [_("Scan the QR code at the activity with your phone's camera, or type the code "
               "printed under it. You can check in once per activity while it is open.")]
    request.response.headers["Cache-Control"] = "no-store"
    typed = request.GET.get("code", "") if request.method == "GET" else ""
    appstruct = {"code": typed[:500]} if typed else {}
    data, shown = submitted(request, _checkin_form(request), title, intro, appstruct=appstruct)
    if shown is not None:
        return shown
    try:
        activity, awards = services.check_in(request.dbsession, request.registry,
                                             _secret(request), request.user.id, data["code"])
    except PointsRefused as error:
        # refused before anything was written: the entry commits with the 400 page
        audit(request, "points.checkin", target=f"user:{request.user.id}", outcome="denied",
              detail={"reason": str(error)})
        return page(request, title, intro, _checkin_form(request).render(data),
                    status=error.status, alert=error.message)
    audit(request, "points.checkin", target=f"points-activity:{activity.id}")
    services.audit_awards(request, awards)
    name = activity.localized_title(request.localizer.locale_name)
    paid = sum(award.points for award in awards)
    if paid:
        message = _("You checked in at ${activity}: ${points} points were added to your "
                    "wallet.", mapping={"activity": name, "points": f"{paid:,}"})
    else:
        message = _("You checked in at ${activity}. No points could be added: the "
                    "programme's limit has been reached.", mapping={"activity": name})
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("points.wallet"))


# -- organisers -----------------------------------------------------------------------------

def sees_every_activity(request):
    """Operators and managers see every activity; an organiser only their own."""
    return bool(request.has_permission(OPERATE, PointsManagement(request)))


@view_config(route_name="points.activities", renderer=ACTIVITIES, permission=ORGANISE,
             request_method="GET")
def activities(request):
    locale = request.localizer.locale_name
    organiser_id = None if sees_every_activity(request) else request.user.id
    names = {p.id: p.localized_name(locale) for p in points_services.programmes(
        request.dbsession)}
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": request.localizer.translate(_("Community activities")),
        "add_url": request.route_path("points.activity_add"),
        "activities": [{
            "title": activity.localized_title(locale), "place": activity.place,
            "window": f"{services.tokyo_text(activity.starts_at)} – "
                      f"{services.tokyo_text(activity.ends_at)[11:]}",
            "programme": names.get(activity.programme_id, ""),
            "points": f"{activity.points:,}",
            "url": request.route_path("points.activity", id=activity.id),
        } for activity in services.activities(request.dbsession, organiser_id=organiser_id)],
    }


@view_config(route_name="points.activity_add", renderer=PAGE, permission=ORGANISE,
             request_method=("GET", "POST"))
def activity_add(request):
    title = _("New community activity")
    intro = [_("Residents who check in with the activity's code between the opening and "
               "closing times earn its points once.")]
    data, shown = submitted(request, _activity_form(request), title, intro)
    if shown is not None:
        return shown
    programme = request.dbsession.get(Programme, int(data["programme"]))
    tokyo = points_services.TOKYO
    values = {
        "title": data["title"], "title_en": data["title_en"] or "", "place": data["place"],
        "starts_at": datetime.combine(data["day"], data["start"], tzinfo=tokyo),
        "ends_at": datetime.combine(data["day"], data["end"], tzinfo=tokyo),
        "programme_id": programme.id, "points": data["points"],
    }
    activity = services.create_activity(request.dbsession, values, request.user.id)
    audit(request, "points.activity.create", target=f"points-activity:{activity.id}",
          detail={"programme": programme.code, "points": activity.points})
    request.session.flash(request.localizer.translate(_("The activity is created.")))
    return HTTPSeeOther(request.route_url("points.activity", id=activity.id))


@view_config(route_name="points.activity", renderer=ACTIVITY, permission=ORGANISE,
             request_method="GET")
def activity(request):
    found = request.dbsession.get(Activity, matched_id(request))
    if found is None:
        raise HTTPNotFound()
    if found.created_by != request.user.id and not sees_every_activity(request):
        # another organiser's activity (its code would let anyone check in): as if absent
        audit_now(request, "points.activity.view", target=f"points-activity:{found.id}",
                  outcome="denied", detail={"reason": "not the organiser"})
        raise HTTPNotFound()
    locale = request.localizer.locale_name
    code = services.sign(_secret(request), found.id)
    link = (request.registry.settings["kairan.base_url"] +
            request.route_path("points.checkin", _query={"code": code}))
    name = found.localized_title(locale)
    programme = request.dbsession.scalar(select(Programme).where(
        Programme.id == found.programme_id))
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": name,
        "place": found.place,
        "window": f"{services.tokyo_text(found.starts_at)} – "
                  f"{services.tokyo_text(found.ends_at)[11:]}",
        "programme": programme.localized_name(locale),
        "points": f"{found.points:,}",
        "code": code,
        "qr_svg": _svg(link, request.localizer.translate(_("Check-in code of ${activity}",
                                                          mapping={"activity": name}))),
        "checkins": services.checkin_count(request.dbsession, found.id),
        "back_url": request.route_path("points.activities"),
    }


def _svg(text, title):
    import segno

    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(scale=6, border=4, dark="#000", light="#fff", title=title,
                           svgclass="activity-qr", lineclass=None)
