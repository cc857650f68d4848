"""Operators' campaign pages: create and list campaigns, commit a seed, run the draw,
see the ranking. Permission ``points.operate`` as the other operator pages; the draw
also needs the protected action ``points.grant``. Every change is audited (never the
seed before the draw, only its hash)."""

from datetime import datetime, time, timedelta

import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from kairan.accounts.forms import make_form
from kairan.accounts.models import User
from kairan.accounts.schemas import CSRFSchema
from kairan.accounts.views.common import PAGE, submitted
from kairan.audit.services import audit, audit_now
from kairan.i18n.translation import _
from kairan_points import services as points_services
from kairan_points.campaigns import services
from kairan_points.campaigns.models import Application, Campaign
from kairan_points.errors import PointsRefused
from kairan_points.schemas import (
    CODE,
    amount_node,
    date_node,
    deferred_programme_choices,
    deferred_programme_validator,
    text_node,
)
from kairan_points.views import OPERATE, matched_id
from kairan_points.views.manage import programme_choices

LIST = "kairan_points:templates/campaigns/manage.pt"
DETAIL = "kairan_points:templates/campaigns/campaign.pt"


def _small_int(title, low, high, default):
    return colander.SchemaNode(
        colander.Integer(), title=title, default=default,
        validator=colander.Range(min=low, max=high,
                                 min_err=_("Enter a number from ${min} to ${max}."),
                                 max_err=_("Enter a number from ${min} to ${max}.")))


class CampaignSchema(CSRFSchema):
    code = text_node(_("Code"), 40, description=_("Lower-case letters, digits and '-', e.g. "
                                                   "spring-2025."),
                     preparer=lambda v: v.strip().lower() if isinstance(v, str) else v)
    title = text_node(_("Title (Japanese)"), 200)
    title_en = text_node(_("Title (English)"), 200, required=False)
    programme = colander.SchemaNode(colander.String(), title=_("Programme"),
                                    widget=deferred_programme_choices,
                                    validator=deferred_programme_validator)
    points = amount_node(_("Points for each winner"))
    capacity = _small_int(_("Number of winners"), 1, 1_000_000, 100)
    opens_on = date_node(_("Applications open on (00:00 Japan time)"))
    closes_on = date_node(_("Applications close after (date included, Japan time)"))
    min_level = _small_int(_("Minimum identity level"), 1, 3, 1)
    excluded = text_node(_("Code of an earlier campaign whose recipients cannot apply"), 40,
                         required=False)
    accept_days = _small_int(_("Days a winner has to accept"), 1, 90, 7)

    def validator(self, node, value):
        error = colander.Invalid(node)
        if not CODE.match(value["code"]):
            error["code"] = _("Lower-case letters, digits and '-' only.")
        if value["closes_on"] < value["opens_on"]:
            error["closes_on"] = _("The application window must end after it opens.")
        if error.children:
            raise error


def _form(request):
    return make_form(request, CampaignSchema(), _("Create the campaign"),
                     programmes=programme_choices(request),
                     limit=request.registry.settings["kairan.points.max_grant"])


def _state(campaign):
    if campaign.drawn_at is not None:
        return _("Drawn")
    if campaign.seed_hash:
        return _("Seed committed")
    return _("Seed not committed")


@view_config(route_name="points.campaigns_manage", renderer=LIST, permission=OPERATE,
             request_method="GET")
def campaigns(request):
    locale = request.localizer.locale_name
    translate = request.localizer.translate
    request.response.headers["Cache-Control"] = "no-store"
    rows = request.dbsession.scalars(select(Campaign).order_by(Campaign.id.desc()))
    return {
        "page_title": translate(_("Points campaigns")),
        "add_url": request.route_path("points.campaign_add"),
        "campaigns": [{
            "code": c.code, "title": c.localized_title(locale),
            "window": f"{services.tokyo_time(c.opens_at)} – {services.tokyo_time(c.closes_at)}",
            "capacity": f"{c.capacity:,}", "points": f"{c.points:,}",
            "state": translate(_state(c)),
            "url": request.route_path("points.campaign_manage", id=c.id),
        } for c in rows],
    }


@view_config(route_name="points.campaign_add", renderer=PAGE, permission=OPERATE,
             request_method=("GET", "POST"))
def campaign_add(request):
    title = _("New points campaign")
    intro = [_("Residents apply within the window; after it, a draw from a seed you commit "
               "to beforehand chooses the winners, who accept within the given days.")]
    data, shown = submitted(request, _form(request), title, intro)
    if shown is not None:
        return shown
    from kairan.accounts.views.common import page

    excluded = None
    if data["excluded"]:
        earlier = services.by_code(request.dbsession, data["excluded"].strip().lower())
        if earlier is None:
            return page(request, title, intro, _form(request).render(data), status=400,
                        alert=_("The earlier campaign does not exist."))
        excluded = earlier.id
    tokyo = points_services.TOKYO
    values = {
        "code": data["code"], "title": data["title"], "title_en": data["title_en"] or "",
        "programme_id": int(data["programme"]), "points": data["points"],
        "capacity": data["capacity"],
        "opens_at": datetime.combine(data["opens_on"], time(), tzinfo=tokyo),
        "closes_at": datetime.combine(data["closes_on"] + timedelta(days=1), time(),
                                      tzinfo=tokyo),
        "min_level": data["min_level"], "excluded_campaign_id": excluded,
        "accept_days": data["accept_days"],
    }
    try:
        campaign = services.create_campaign(request.dbsession, values, request.user.id)
    except PointsRefused as error:
        return page(request, title, intro, _form(request).render(data), status=400,
                    alert=error.message)
    audit(request, "points.campaign.create", target=f"points-campaign:{campaign.id}",
          detail={"code": campaign.code, "points": campaign.points,
                  "capacity": campaign.capacity})
    request.session.flash(request.localizer.translate(_("The campaign is created.")))
    return HTTPSeeOther(request.route_url("points.campaign_manage", id=campaign.id))


def _campaign(request):
    campaign = request.dbsession.get(Campaign, matched_id(request))
    if campaign is None:
        raise HTTPNotFound()
    return campaign


def _detail(request, campaign, error=None):
    locale = request.localizer.locale_name
    translate = request.localizer.translate
    rows = request.dbsession.execute(
        select(Application, User.email).join(User, User.id == Application.user_id)
        .where(Application.campaign_id == campaign.id)
        .order_by(Application.rank, Application.id)).all()
    verification = services.verify_draw(request.dbsession, campaign) \
        if campaign.drawn_at is not None else None
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "page_title": campaign.localized_title(locale),
        "error": error,
        "code": campaign.code,
        "window": f"{services.tokyo_time(campaign.opens_at)} – "
                  f"{services.tokyo_time(campaign.closes_at)}",
        "points": f"{campaign.points:,}", "capacity": f"{campaign.capacity:,}",
        "state": translate(_state(campaign)),
        "seed_hash": campaign.seed_hash, "seed": campaign.seed,
        "result_hash": campaign.result_hash,
        "verified": None if verification is None else verification.ok,
        "can_commit": campaign.drawn_at is None,
        "can_draw": campaign.drawn_at is None and bool(campaign.seed_hash),
        "seed_url": request.route_path("points.campaign_seed", id=campaign.id),
        "draw_url": request.route_path("points.campaign_draw", id=campaign.id),
        "back_url": request.route_path("points.campaigns_manage"),
        "applications": [{
            "rank": a.rank or "—", "email": email, "status": a.status,
            "accept_by": services.tokyo_time(a.accept_by) if a.accept_by else "",
        } for a, email in rows],
    }


@view_config(route_name="points.campaign_manage", renderer=DETAIL, permission=OPERATE,
             request_method="GET")
def campaign(request):
    return _detail(request, _campaign(request))


def _refused(request, campaign, action, error):
    audit_now(request, f"points.campaign.{action}", target=f"points-campaign:{campaign.id}",
              outcome="denied", detail={"reason": str(error)})
    request.response.status_int = error.status
    return _detail(request, campaign, error.message)


@view_config(route_name="points.campaign_seed", renderer=DETAIL, permission=OPERATE,
             request_method="POST")
def commit_seed(request):
    campaign = _campaign(request)
    try:
        services.commit_seed(request.dbsession, campaign, request.POST.get("seed_hash", ""))
    except PointsRefused as error:
        return _refused(request, campaign, "seed", error)
    audit(request, "points.campaign.seed", target=f"points-campaign:{campaign.id}",
          detail={"seed_hash": campaign.seed_hash})
    request.session.flash(request.localizer.translate(_("The seed's SHA-256 is published.")))
    return HTTPSeeOther(request.route_url("points.campaign_manage", id=campaign.id))


@view_config(route_name="points.campaign_draw", renderer=DETAIL, permission=OPERATE,
             request_method="POST", assurance="points.grant")
def draw(request):
    campaign = _campaign(request)
    seed = request.POST.get("seed", "")
    if len(seed) > 200:
        seed = ""
    try:
        winners = services.draw(request.dbsession, campaign, seed)
    except PointsRefused as error:
        return _refused(request, campaign, "draw", error)
    services.notify(request.dbsession, request.registry, campaign, winners,
                    request.application_url)
    audit(request, "points.campaign.draw", target=f"points-campaign:{campaign.id}",
          detail={"winners": len(winners), "result_hash": campaign.result_hash})
    request.session.flash(request.localizer.translate(_("The draw is done.")))
    return HTTPSeeOther(request.route_url("points.campaign_manage", id=campaign.id))
