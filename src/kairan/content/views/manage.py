"""Sharing (local roles on a node) and the trash."""

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import delete, func, select

from kairan.audit.services import audit
from kairan.content import services
from kairan.content.models import Node
from kairan.content.services import ContentError
from kairan.content.traversal import node_by_id
from kairan.content.views.common import format_datetime, page_values, redirect_to
from kairan.i18n.translation import _
from kairan.security.models import LocalRole
from kairan.security.permissions import Permission, Role

TEMPLATES = "kairan_theme_default:templates/content/"
# Local roles stay below Manager: granting MANAGE on a folder is a global decision.
SHARABLE_ROLES = (Role.EDITOR, Role.REVIEWER)
ROLE_TITLES = {Role.EDITOR: _("Editor (writes and edits)"),
               Role.REVIEWER: _("Reviewer (publishes)")}


def local_role_rows(dbsession, node):
    from kairan.accounts.models import User

    return list(dbsession.execute(
        select(LocalRole.role, User.id, User.email, User.display_name)
        .join(User, User.id == LocalRole.user_id)
        .where(LocalRole.node_id == node.id).order_by(User.email, LocalRole.role)
    ))


def _sharing_page(context, request, error=None, email=""):
    if error is not None:
        request.response.status_int = 400
    translate = request.localizer.translate
    return page_values(context, request, grants=local_role_rows(request.dbsession, context),
                       roles=[(r, translate(ROLE_TITLES[r])) for r in SHARABLE_ROLES],
                       role_title=lambda r: translate(ROLE_TITLES.get(r, r)),
                       error=translate(error) if error is not None else None, email=email,
                       page_title=translate(_("Sharing")))


@view_config(context=Node, name="sharing", permission=Permission.MANAGE,
             renderer=TEMPLATES + "sharing.pt")
def sharing(context, request):
    if request.method != "POST":
        return _sharing_page(context, request)
    from kairan.accounts.models import User

    role = request.POST.get("role", "")
    if role not in SHARABLE_ROLES:
        return _sharing_page(context, request, _("Choose a role from the list."))
    dbsession = request.dbsession
    if "remove" in request.POST:
        try:
            user_id = int(request.POST.get("user_id", ""))
        except ValueError:
            raise HTTPBadRequest() from None
        dbsession.execute(delete(LocalRole).where(LocalRole.node_id == context.id,
                                                  LocalRole.user_id == user_id,
                                                  LocalRole.role == role))
        audit(request, "content.unshare", target=context.path,
              detail={"id": context.id, "user_id": user_id, "role": role})
        return redirect_to(request, context, "sharing", flash=_("The role has been removed."))
    email = request.POST.get("email", "").strip().lower()[:254]
    user = dbsession.scalar(select(User).where(func.lower(User.email) == email)) if email \
        else None
    if user is None:
        return _sharing_page(context, request, _("There is no user with this e-mail address."),
                             email)
    if dbsession.get(LocalRole, (context.id, user.id, role)) is None:
        dbsession.add(LocalRole(node_id=context.id, user_id=user.id, role=role))
    audit(request, "content.share", target=context.path,
          detail={"id": context.id, "user_id": user.id, "role": role})
    return redirect_to(request, context, "sharing", flash=_("The role has been granted."))


@view_config(route_name="content.trash", permission=Permission.MANAGE,
             renderer=TEMPLATES + "trash.pt")
def trash_view(context, request):
    dbsession = request.dbsession
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "empty":
                root = dbsession.scalar(select(Node).where(Node.parent_id.is_(None)))
                count = services.empty_trash(request, root)
                request.session.flash(request.localizer.translate(
                    _("${count} item(s) deleted for good.", mapping={"count": count})))
            else:
                node = node_by_id(dbsession, int(request.POST.get("node", "0")),
                                  include_deleted=True)
                if node is None or action not in ("restore", "purge"):
                    raise HTTPBadRequest()
                if action == "restore":
                    services.restore(request, node)
                    request.session.flash(request.localizer.translate(_("Restored.")))
                else:
                    services.purge(request, node)
                    request.session.flash(request.localizer.translate(
                        _("Deleted for good.")))
        except ValueError:
            raise HTTPBadRequest() from None
        except ContentError as error:
            raise HTTPBadRequest(request.localizer.translate(error.message)) from None
        return HTTPSeeOther(request.route_url("content.trash"))
    locale = request.locale_name
    return {"items": services.trashed_nodes(dbsession),
            "when": lambda n: format_datetime(n.deleted_at, locale),
            "page_title": request.localizer.translate(_("Trash"))}
