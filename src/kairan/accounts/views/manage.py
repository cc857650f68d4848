"""Managers' user administration: list and search, global roles, disable and enable."""

import colander
from deform import ValidationFailure
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from kairan.accounts.forms import make_form, validate
from kairan.accounts.links import account_links
from kairan.accounts.models import User, UserRole
from kairan.accounts.schemas import ConfirmSchema, UserRolesSchema, UserSearchSchema
from kairan.accounts.views.common import end_all_sessions, user_from_route
from kairan.audit.services import audit
from kairan.i18n.translation import _
from kairan.security.permissions import Permission, Role
from kairan.security.roles import role_titles

PAGE_SIZE = 25
STATUS_TITLES = {
    "pending": _("Waiting for e-mail confirmation"),
    "active": _("Active"),
    "disabled": _("Disabled"),
}


def _like(term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


@view_config(route_name="accounts.manage_users", request_method="GET",
             renderer="kairan_theme_default:templates/manage_users/list.pt",
             permission=Permission.MANAGE_USERS)
def user_list(request):
    try:
        query = UserSearchSchema().deserialize(
            {k: v for k, v in request.GET.items() if k in ("q", "page")})
    except colander.Invalid as e:
        raise HTTPBadRequest(request.localizer.translate(
            _("The search could not be understood."))) from e
    condition = True
    if query["q"].strip():
        pattern = _like(query["q"].strip())
        condition = or_(func.lower(User.email).like(pattern, escape="\\"),
                        func.lower(User.display_name).like(pattern, escape="\\"))
    dbsession = request.dbsession
    total = dbsession.scalar(select(func.count(User.id)).where(condition))
    users = dbsession.scalars(
        select(User).where(condition).order_by(User.email)
        .limit(PAGE_SIZE).offset((query["page"] - 1) * PAGE_SIZE)
    ).all()
    pages = max(1, -(-total // PAGE_SIZE))
    titles = role_titles(request.registry)
    translate = request.localizer.translate
    return {
        "page_title": translate(_("Users")),
        "q": query["q"],
        "page": query["page"],
        "pages": pages,
        "total": total,
        "users": [
            {"id": u.id, "email": u.email, "display_name": u.display_name,
             "status": translate(STATUS_TITLES.get(u.status, u.status)),
             "roles": ", ".join(titles.get(r, r) for r in u.role_names),
             "url": request.route_path("accounts.manage_user", user_id=u.id)}
            for u in users
        ],
        "prev_url": request.route_path("accounts.manage_users",
                                       _query={"q": query["q"], "page": query["page"] - 1})
        if query["page"] > 1 else None,
        "next_url": request.route_path("accounts.manage_users",
                                       _query={"q": query["q"], "page": query["page"] + 1})
        if query["page"] < pages else None,
    }


def _forms(request, user):
    titles = role_titles(request.registry)
    roles_form = make_form(
        request, UserRolesSchema(), _("Save the roles"), formid="roles",
        action=request.route_path("accounts.manage_user_roles", user_id=user.id),
        role_titles=titles,
    )
    status_title = _("Enable this account") if user.status == "disabled" \
        else _("Disable this account")
    status_form = make_form(
        request, ConfirmSchema(), status_title, formid="status",
        action=request.route_path("accounts.manage_user_status", user_id=user.id),
    )
    return roles_form, status_form


def _user_page(request, user, roles_html=None, status=None, error=None):
    roles_form, status_form = _forms(request, user)
    translate = request.localizer.translate
    if status is not None:
        request.response.status_int = status
    return {
        "page_title": translate(_("User: ${email}", mapping={"email": user.email})),
        "user": user,
        "status_title": translate(STATUS_TITLES.get(user.status, user.status)),
        "roles_form": roles_html or roles_form.render({"roles": set(user.role_names)}),
        "status_form": status_form.render() if user.id != request.user.id else None,
        "list_url": request.route_path("accounts.manage_users"),
        "audit_url": request.route_path("audit.list", _query={"actor": user.id}),
        "extra_links": [(url, translate(title)) for url, title
                        in account_links(request, "manage_user", user_id=user.id)],
        "error": translate(error) if error else None,
    }


@view_config(route_name="accounts.manage_user", request_method="GET",
             renderer="kairan_theme_default:templates/manage_users/user.pt",
             permission=Permission.MANAGE_USERS)
def user_detail(request):
    return _user_page(request, user_from_route(request))


@view_config(route_name="accounts.manage_user_roles", request_method="POST",
             renderer="kairan_theme_default:templates/manage_users/user.pt",
             permission=Permission.MANAGE_USERS)
def user_roles(request):
    user = user_from_route(request)
    roles_form, _status = _forms(request, user)
    try:
        data = validate(request, roles_form)
    except ValidationFailure as e:
        return _user_page(request, user, e.render(), status=400)
    wanted = set(data["roles"])
    if user.id == request.user.id and Role.MANAGER in user.role_names \
            and Role.MANAGER not in wanted:
        return _user_page(request, user, status=400,
                          error=_("You cannot take the Manager role from yourself."))
    current = set(user.role_names)
    for role in sorted(wanted - current):
        user.roles.append(UserRole(role=role))
        audit(request, "role.grant", target=f"user:{user.id}", detail={"role": role})
    for row in [r for r in user.roles if r.role in current - wanted]:
        user.roles.remove(row)
        audit(request, "role.revoke", target=f"user:{user.id}", detail={"role": row.role})
    request.session.flash(request.localizer.translate(_("The roles are saved.")))
    return HTTPSeeOther(request.route_url("accounts.manage_user", user_id=user.id))


@view_config(route_name="accounts.manage_user_status", request_method="POST",
             permission=Permission.MANAGE_USERS)
def user_status(request):
    user = user_from_route(request)
    if user.id == request.user.id:
        # the form is not offered on one's own page; this guards a hand-made request
        raise HTTPBadRequest(request.localizer.translate(
            _("You cannot disable your own account.")))
    if user.status == "disabled":
        user.status = "active" if user.email_verified_at else "pending"
        audit(request, "user.enable", target=f"user:{user.id}")
    else:
        user.status = "disabled"
        ended = end_all_sessions(request, user.id)
        audit(request, "user.disable", target=f"user:{user.id}",
              detail={"sessions_ended": ended})
    request.session.flash(request.localizer.translate(_("The account status is changed.")))
    return HTTPSeeOther(request.route_url("accounts.manage_user", user_id=user.id))
