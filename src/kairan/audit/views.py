"""The managers' audit log viewer: filter by action, actor, outcome and dates (JST), paged."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import colander
from pyramid.view import view_config
from sqlalchemy import func, select

from kairan.accounts.models import User
from kairan.audit.models import AuditEntry
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

TOKYO = ZoneInfo("Asia/Tokyo")
PAGE_SIZE = 50
OUTCOMES = ("success", "failure", "denied")


class AuditFilterSchema(colander.Schema):
    action = colander.SchemaNode(colander.String(), missing="",
                                 validator=colander.Length(max=100))
    actor = colander.SchemaNode(colander.String(), missing="", title=_("Actor"),
                                validator=colander.Length(max=254))
    outcome = colander.SchemaNode(colander.String(), missing="", title=_("Outcome"),
                                  validator=colander.OneOf(("",) + OUTCOMES))
    date_from = colander.SchemaNode(colander.Date(), missing=None, title=_("From (date)"))
    date_to = colander.SchemaNode(colander.Date(), missing=None, title=_("Until (date)"))
    page = colander.SchemaNode(colander.Integer(), missing=1,
                               validator=colander.Range(min=1, max=1000000))


def jst_start(day) -> datetime:
    """00:00 JST of ``day`` as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=TOKYO)


def _conditions(dbsession, query):
    conditions = []
    if query["action"]:
        conditions.append(AuditEntry.action == query["action"])
    if query["outcome"]:
        conditions.append(AuditEntry.outcome == query["outcome"])
    actor = query["actor"].strip()
    if actor:
        if actor.isdigit():
            conditions.append(AuditEntry.actor_id == int(actor))
        else:
            user_id = dbsession.scalar(select(User.id).where(User.email == actor.lower()))
            conditions.append(AuditEntry.actor_id == (user_id if user_id is not None else -1))
    if query["date_from"]:
        conditions.append(AuditEntry.at >= jst_start(query["date_from"]))
    if query["date_to"]:
        conditions.append(AuditEntry.at < jst_start(query["date_to"] + timedelta(days=1)))
    return conditions


@view_config(route_name="audit.list", request_method="GET",
             renderer="kairan_theme_default:templates/audit/list.pt",
             permission=Permission.VIEW_AUDIT)
def audit_list(request):
    translate = request.localizer.translate
    raw = {k: request.GET.get(k, "") for k in
           ("action", "actor", "outcome", "date_from", "date_to", "page")}
    schema = AuditFilterSchema()
    errors = []
    try:
        query = schema.deserialize({k: v for k, v in raw.items() if v != ""})
    except colander.Invalid as e:
        errors = [(name, translate(schema[name].title) + ": " + translate(message))
                  for name, message in e.asdict(translate=translate).items()]
        request.response.status_int = 400
        query = schema.deserialize({})
    dbsession = request.dbsession
    conditions = _conditions(dbsession, query)
    total = dbsession.scalar(select(func.count(AuditEntry.id)).where(*conditions))
    rows = dbsession.scalars(
        select(AuditEntry).where(*conditions).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((query["page"] - 1) * PAGE_SIZE)
    ).all()
    actor_ids = {r.actor_id for r in rows if r.actor_id} | {r.on_behalf_of for r in rows
                                                           if r.on_behalf_of}
    emails = {}
    if actor_ids:
        emails = dict(dbsession.execute(
            select(User.id, User.email).where(User.id.in_(actor_ids))).all())
    actions = dbsession.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    pages = max(1, -(-total // PAGE_SIZE))
    error_names = {name for name, _message in errors}

    def describe(user_id):
        if user_id is None:
            return translate(_("anonymous"))
        return emails.get(user_id) or translate(_("deleted account #${id}",
                                                   mapping={"id": user_id}))

    def page_url(number):
        return request.route_path("audit.list", _query={**{k: v for k, v in raw.items() if v},
                                                        "page": number})

    entries = []
    for row in rows:
        actor = describe(row.actor_id)
        if row.on_behalf_of:
            actor = translate(_("${staff} for ${resident}",
                                mapping={"staff": actor, "resident": describe(row.on_behalf_of)}))
        entries.append({
            "iso": row.at.isoformat(),
            "when": row.at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": actor, "action": row.action, "target": row.target or "",
            "outcome": row.outcome, "address": row.address or "",
            "detail": json.dumps(row.detail, ensure_ascii=False) if row.detail else "",
        })

    def field(name, label, type_="text", choices=None, help_=None):
        return {"name": name, "label": translate(label), "type": type_, "choices": choices,
                "value": raw[name], "help": translate(help_) if help_ else None,
                "error": name in error_names}

    any_choice = ("", translate(_("(all)")))
    return {
        "page_title": translate(_("Audit log")),
        "errors": errors,
        "fields": [
            field("action", _("Action"), choices=[any_choice] + [(a, a) for a in actions]),
            field("actor", _("Actor"), help_=_("E-mail address or user number")),
            field("outcome", _("Outcome"), choices=[any_choice] + [(o, o) for o in OUTCOMES]),
            field("date_from", _("From (date)"), "date", help_=_("Japan time, e.g. 2025-04-01")),
            field("date_to", _("Until (date)"), "date", help_=_("Japan time, inclusive")),
        ],
        "entries": entries,
        "total": total,
        "page": query["page"],
        "pages": pages,
        "prev_url": page_url(query["page"] - 1) if query["page"] > 1 else None,
        "next_url": page_url(query["page"] + 1) if query["page"] < pages else None,
    }
