"""Residents' campaign pages: open campaigns, applying, one's own applications,
accepting or declining a place.

Every action names only the campaign; the application is always the signed-in
person's own (``application_of(campaign, request.user.id)``), so nobody can see
or act on someone else's application by changing an id.
"""

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from kairan.audit.services import audit, audit_now
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.permissions import Permission
from kairan_points.campaigns import services
from kairan_points.campaigns.models import (
    ACCEPTED,
    APPLIED,
    DECLINED,
    EXPIRED,
    WAITING,
    WON,
    Campaign,
)
from kairan_points.errors import PointsRefused
from kairan_points.views import matched_id

RESIDENT = "kairan_points:templates/campaigns/resident.pt"


def status_text(dbsession, application, now):
    """The status people read, translated by the caller."""
    if application.status == APPLIED:
        return _("Applied: not drawn yet")
    if application.status == WON and application.accept_by > now:
        return _("Won: accept by ${date} (Japan time)",
                 mapping={"date": services.tokyo_time(application.accept_by)})
    if application.status in (WON, EXPIRED):
        return _("Not accepted in time")
    if application.status == WAITING:
        return _("Waiting list: position ${position}",
                 mapping={"position": services.waiting_position(dbsession, application)})
    if application.status == ACCEPTED:
        return _("Accepted: the points are in your wallet")
    if application.status == DECLINED:
        return _("Declined")
    return application.status


def resident_values(request, error=None):
    now = utcnow()
    locale = request.localizer.locale_name
    translate = request.localizer.translate
    dbsession = request.dbsession
    mine = services.applications_of(dbsession, request.user.id)
    applied_to = {campaign.id for _application, campaign in mine}
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": translate(_("Points campaigns")),
        "error": error,
        "open": [{
            "id": c.id, "title": c.localized_title(locale), "points": f"{c.points:,}",
            "capacity": f"{c.capacity:,}", "closes": services.tokyo_time(c.closes_at),
            "level": c.min_level, "applied": c.id in applied_to, "seed_hash": c.seed_hash,
            "apply_url": request.route_path("points.campaign_apply", id=c.id),
        } for c in services.open_campaigns(dbsession, now)],
        "mine": [{
            "id": a.id, "title": c.localized_title(locale), "points": f"{c.points:,}",
            "status": translate(status_text(dbsession, a, now)),
            "can_answer": a.status == WON and a.accept_by > now,
            "accept_url": request.route_path("points.campaign_accept", id=c.id),
            "decline_url": request.route_path("points.campaign_decline", id=c.id),
        } for a, c in mine],
    }


@view_config(route_name="points.campaigns", renderer=RESIDENT, permission=Permission.MEMBER,
             request_method="GET")
def campaigns(request):
    return resident_values(request)


def _campaign(request):
    campaign = request.dbsession.get(Campaign, matched_id(request))
    if campaign is None:
        raise HTTPNotFound()
    return campaign


def _act(request, action, work, message):
    campaign = _campaign(request)
    try:
        application = work(campaign)
    except PointsRefused as error:
        audit_now(request, f"points.campaign.{action}", target=f"points-campaign:{campaign.id}",
                  outcome="denied", detail={"reason": str(error)})
        request.response.status_int = error.status
        return resident_values(request, error.message)
    audit(request, f"points.campaign.{action}", target=f"points-campaign:{campaign.id}",
          detail={"application": application.id if application is not None else None})
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("points.campaigns"))


@view_config(route_name="points.campaign_apply", renderer=RESIDENT,
             permission=Permission.MEMBER, request_method="POST")
def apply(request):
    return _act(request, "apply", lambda c: services.apply(
        request.dbsession, c, request.user.id, request.assurance.level),
        _("Your application is received."))


@view_config(route_name="points.campaign_accept", renderer=RESIDENT,
             permission=Permission.MEMBER, request_method="POST")
def accept(request):
    def work(campaign):
        # each acceptance check first frees the places of offers past their date
        promoted = services.promote(request.dbsession, campaign)
        services.notify(request.dbsession, request.registry, campaign, promoted,
                        request.application_url)
        return services.accept(request.dbsession, campaign, request.user.id)

    return _act(request, "accept", work, _("You accepted: the points are granted."))


@view_config(route_name="points.campaign_decline", renderer=RESIDENT,
             permission=Permission.MEMBER, request_method="POST")
def decline(request):
    def work(campaign):
        promoted = services.decline(request.dbsession, campaign, request.user.id)
        services.notify(request.dbsession, request.registry, campaign, promoted,
                        request.application_url)
        return services.application_of(request.dbsession, campaign.id, request.user.id)

    return _act(request, "decline", work, _("You declined the place."))
