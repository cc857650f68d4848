"""The editor's actions, reached from the page itself: add, edit with preview,
delete (to the trash), move, copy, reorder and workflow transitions.

Every action is a POST with the CSRF token; bad input gives the form back
with a 400 and the field's error, and changes nothing.
"""

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from kairan.content import services
from kairan.content.models import Node
from kairan.content.queries import containers
from kairan.content.sanitize import sanitize_html
from kairan.content.services import ContentError, ContentForbidden
from kairan.content.traversal import node_by_id
from kairan.content.typeinfo import addable_types, content_types
from kairan.content.views.common import page_values, redirect_to
from kairan.content.views.forms import (
    fields,
    initial_values,
    make_form,
    submitted_values,
    validate,
)
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

TEMPLATES = "kairan_theme_default:templates/content/"


def _forbidden(request, error):
    """A 403 page that is returned, not raised: the services refuse before changing
    anything, and the denial they wrote to the audit log must commit."""
    response = render_to_response(
        "kairan_theme_default:templates/errors/forbidden.pt",
        {"page_title": request.localizer.translate(_("Access denied")),
         "message": request.localizer.translate(error.message)},
        request=request)
    response.status_int = 403
    return response


def _form_page(context, request, form, info, values, errors=None, message=None, preview=None,
               adding=False):
    errors = dict(errors or {})
    if message is not None:
        request.response.status_int = 400
    elif errors:
        request.response.status_int = 400
    translate = request.localizer.translate
    heading = (_("Add ${type}", mapping={"type": translate(info.title)}) if adding
               else _("Edit ${title}", mapping={"title": context.title}))
    return page_values(
        context, request, page_title=translate(heading), heading=translate(heading),
        form_fields=fields(request, form, values, errors), type_name=info.name,
        message=translate(message) if message is not None else None,
        error_count=len(errors), preview=preview, adding=adding,
        action=context.path + ("@@add" if adding else "@@edit"),
    )


def _preview(values):
    return {"title": values.get("title", ""), "title_en": values.get("title_en", ""),
            "body": sanitize_html(values.get("body", "")),
            "body_en": sanitize_html(values.get("body_en", ""))}


def _apply_error(error, form):
    names = {field.name for field in form.children}
    if error.field in names:
        return {error.field: error.message}, None
    return {}, error.message


def _translated(request, errors):
    return {k: request.localizer.translate(v) for k, v in errors.items()}


@view_config(context=Node, name="add", permission=Permission.ADD, request_method="GET",
             renderer=TEMPLATES + "add.pt")
def add_choose(context, request):
    type_name = request.params.get("type")
    if type_name:
        return add_form(context, request)
    types = addable_types(request, context)
    if not types:
        raise HTTPNotFound()
    return page_values(context, request, types=types,
                       page_title=request.localizer.translate(_("Add content")))


def _addable_info(context, request):
    info = content_types(request.registry).get(request.params.get("type", ""))
    if info is None or info not in addable_types(request, context):
        raise HTTPNotFound()
    return info


def add_form(context, request):
    info = _addable_info(context, request)
    form = make_form(request, info, editing=False)
    values = {"in_navigation": "true"}
    request.override_renderer = TEMPLATES + "form.pt"
    return _form_page(context, request, form, info, values, adding=True)


@view_config(context=Node, name="add", permission=Permission.ADD, request_method="POST",
             renderer=TEMPLATES + "form.pt")
def add_submit(context, request):
    info = _addable_info(context, request)
    form = make_form(request, info, editing=False)
    appstruct, failure = validate(request, form)
    if failure is not None:
        return _form_page(context, request, form, info, *failure, adding=True)
    if "preview" in request.POST:
        return _form_page(context, request, form, info, submitted_values(request, form),
                          preview=_preview(appstruct), adding=True)
    name = appstruct.pop("name", "") or None
    try:
        node = services.create_content(request, context, info.name, appstruct, name=name)
    except ContentForbidden as error:
        return _forbidden(request, error)
    except ContentError as error:
        request.tm.abort()
        request.tm.begin()
        errors, message = _apply_error(error, form)
        return _form_page(context, request, form, info, submitted_values(request, form),
                          _translated(request, errors), message, adding=True)
    return redirect_to(request, node, flash=_("Saved. The new item is private until it is "
                                              "published."))


@view_config(context=Node, name="edit", permission=Permission.EDIT, request_method="GET",
             renderer=TEMPLATES + "form.pt")
def edit_form(context, request):
    info = services.type_info(request, context)
    form = make_form(request, info, editing=True)
    return _form_page(context, request, form, info, initial_values(form, context))


@view_config(context=Node, name="edit", permission=Permission.EDIT, request_method="POST",
             renderer=TEMPLATES + "form.pt")
def edit_submit(context, request):
    info = services.type_info(request, context)
    form = make_form(request, info, editing=True)
    appstruct, failure = validate(request, form)
    if failure is not None:
        return _form_page(context, request, form, info, *failure)
    if "preview" in request.POST:
        return _form_page(context, request, form, info, submitted_values(request, form),
                          preview=_preview(appstruct))
    comment = request.POST.get("comment", "")[:300]
    try:
        services.update_content(request, context, appstruct, comment=comment)
    except ContentForbidden as error:
        return _forbidden(request, error)
    except ContentError as error:
        # the node may be half-changed in the session: nothing of it may commit
        request.tm.abort()
        request.tm.begin()
        errors, message = _apply_error(error, form)
        return _form_page(context, request, form, info, submitted_values(request, form),
                          _translated(request, errors), message)
    return redirect_to(request, context, flash=_("Changes saved."))


@view_config(context=Node, name="transition", permission=Permission.VIEW_DRAFTS,
             request_method="POST")
def transition_submit(context, request):
    try:
        services.transition(request, context, request.POST.get("name", ""))
    except ContentForbidden as error:
        return _forbidden(request, error)
    except ContentError as error:
        raise HTTPBadRequest(request.localizer.translate(error.message)) from None
    return redirect_to(request, context, flash=_("The state is now: ${state}.",
                                                 mapping={"state": request.localizer.translate(
                                                     services.get_workflow(
                                                         request.registry, context.type)
                                                     .state_title(context.state))}))


@view_config(context=Node, name="delete", permission=Permission.DELETE,
             renderer=TEMPLATES + "delete.pt")
def delete(context, request):
    if context.parent_id is None:
        raise HTTPNotFound()
    if request.method == "POST":
        parent = context.__parent__
        services.trash(request, context)
        return redirect_to(request, parent, flash=_("Moved to the trash. A manager can "
                                                    "restore it."))
    return page_values(context, request,
                       page_title=request.localizer.translate(_("Delete")))


def _target_choice(context, request, info, exclude_below=None):
    folderish = [i.name for i in content_types(request.registry).values() if i.folderish]
    found = []
    for target in containers(request.dbsession, folderish, exclude_below):
        target = node_by_id(request.dbsession, target.id)
        if target is not None and info.addable_in(target) and \
                request.has_permission(info.add_permission, target):
            found.append(target)
    return found


def _move_or_copy(context, request, action):
    if context.parent_id is None:
        raise HTTPNotFound()
    info = services.type_info(request, context)
    exclude = context if action == "move" else None
    targets = _target_choice(context, request, info, exclude)
    message = None
    if request.method == "POST":
        target = None
        try:
            target = node_by_id(request.dbsession, int(request.POST.get("target", "")))
        except ValueError:
            pass
        try:
            if target is None:
                raise ContentError(_("Choose a folder that exists."), field="target")
            if action == "move":
                node = services.move(request, context, target)
                return redirect_to(request, node, flash=_("Moved."))
            node = services.copy(request, context, target)
            return redirect_to(request, node, flash=_("Copied. The copy is private."))
        except ContentForbidden as error:
            return _forbidden(request, error)
        except ContentError as error:
            request.tm.abort()
            request.tm.begin()
            message = request.localizer.translate(error.message)
            request.response.status_int = 400
    title = _("Move") if action == "move" else _("Copy")
    return page_values(context, request, targets=targets, action=action, error=message,
                       page_title=request.localizer.translate(title),
                       heading=request.localizer.translate(title))


@view_config(context=Node, name="move", permission=Permission.DELETE,
             renderer=TEMPLATES + "target.pt")
def move_view(context, request):
    return _move_or_copy(context, request, "move")


@view_config(context=Node, name="copy", permission=Permission.ADD,
             renderer=TEMPLATES + "target.pt")
def copy_view(context, request):
    return _move_or_copy(context, request, "copy")


@view_config(context=Node, name="reorder", permission=Permission.EDIT, request_method="POST")
def reorder(context, request):
    items = services.children(request.dbsession, context)
    ids = [item.id for item in items]
    try:
        index = ids.index(int(request.POST.get("node", "")))
    except ValueError:
        raise HTTPBadRequest(request.localizer.translate(_("Choose an item of this folder."))) \
            from None
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        try:
            services.reorder(request, context, ids)
        except ContentForbidden as error:
            return _forbidden(request, error)
    return redirect_to(request, context, flash=_("The order has been changed."))
