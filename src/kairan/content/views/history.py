"""Revision history of a node: the list, a diff between two revisions, restore."""

import difflib
import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden
from pyramid.view import view_config
from sqlalchemy import select

from kairan.content import services
from kairan.content.models import Node, Revision
from kairan.content.services import ContentError, ContentForbidden
from kairan.content.views.common import format_datetime, page_values, redirect_to
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

TEMPLATES = "kairan_theme_default:templates/content/"
# fields not worth a line in a diff (ids of stored bytes)
NOT_DIFFED = frozenset({"blob_id", "display_blob_id"})


def author_names(dbsession, revisions):
    from kairan.accounts.models import User

    ids = {r.author_id for r in revisions if r.author_id}
    if not ids:
        return {}
    return dict(dbsession.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


@view_config(context=Node, name="history", permission=Permission.VIEW_DRAFTS,
             renderer=TEMPLATES + "history.pt")
def history(context, request):
    revisions = services.revisions(request.dbsession, context)
    locale = request.locale_name
    return page_values(
        context, request, revisions=revisions,
        authors=author_names(request.dbsession, revisions),
        when=lambda r: format_datetime(r.created, locale),
        can_restore=request.has_permission(Permission.EDIT, context),
        page_title=request.localizer.translate(_("History")),
    )


def _lines(value):
    text = "" if value is None else str(value)
    # one tag per line, so that a change inside a long paragraph stays readable
    text = re.sub(r"(</(?:p|li|h[2-6]|tr|table|ul|ol|blockquote|div)>)", r"\1\n", text)
    return text.splitlines() or [""]


def diff_fields(old, new):
    """[(field, [(kind, line)])] for the fields that differ; kind is '+', '-' or ' '."""
    changed = []
    for key in sorted(set(old) | set(new)):
        if key in NOT_DIFFED or old.get(key) == new.get(key):
            continue
        lines = []
        for line in difflib.ndiff(_lines(old.get(key)), _lines(new.get(key))):
            if line.startswith("? "):
                continue
            lines.append((line[:1], line[2:]))
        changed.append((key, lines))
    return changed


def _revision(dbsession, node, number):
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return dbsession.scalar(select(Revision).where(Revision.node_id == node.id,
                                                   Revision.number == number))


@view_config(context=Node, name="diff", permission=Permission.VIEW_DRAFTS,
             renderer=TEMPLATES + "diff.pt")
def diff(context, request):
    old = _revision(request.dbsession, context, request.params.get("a"))
    new = _revision(request.dbsession, context, request.params.get("b"))
    if old is None or new is None:
        raise HTTPBadRequest(request.localizer.translate(_("Choose two revisions to compare.")))
    if old.number > new.number:
        old, new = new, old
    return page_values(context, request, old=old, new=new,
                       changes=diff_fields(old.data or {}, new.data or {}),
                       page_title=request.localizer.translate(_("Changes")))


@view_config(context=Node, name="restore-revision", permission=Permission.EDIT,
             request_method="POST")
def restore_revision(context, request):
    try:
        number = int(request.POST.get("number", ""))
        services.restore_revision(request, context, number)
    except ValueError:
        raise HTTPBadRequest(request.localizer.translate(_("There is no such revision."))) \
            from None
    except ContentForbidden as error:
        raise HTTPForbidden(request.localizer.translate(error.message)) from None
    except ContentError as error:
        raise HTTPBadRequest(request.localizer.translate(error.message)) from None
    return redirect_to(request, context, flash=_("Revision ${number} has been restored.",
                                                 mapping={"number": number}))
