"""The content API under ``/api/v1`` (described by ``/api/v1/openapi.json``).

Authentication is the browser session; every unsafe method needs the CSRF
token in ``X-CSRF-Token`` (Pyramid's check, on by default). Every change
goes through ``kairan.content.services``, which checks permissions, keeps
revisions, sends the content events (the search index follows) and audits.
"""

import colander
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPNoContent
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config, view_defaults

from kairan.api.errors import ApiError, error_response
from kairan.api.schemas import (
    CREATE_KEYS,
    bind,
    check_body,
    deserialize,
    json_fields,
    safe_key,
    storable_text,
)
from kairan.api.serialize import node_json
from kairan.content import services
from kairan.content.models import Node
from kairan.content.search.services import MAX_QUERY_LENGTH, search
from kairan.content.typeinfo import content_types
from kairan.i18n.translation import _
from kairan.security.permissions import Permission

MAX_BODY_BYTES = 1024 * 1024


def read_json(request):
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", _("The request body is too large."))
    try:
        body = request.json_body
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ApiError(400, "invalid_json", _("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The request body must be a JSON object."))
    return body


def invalid(fields, message=None):
    return ApiError(422, "invalid", message or _("Please correct the marked fields."), fields)


def content_error(request, error):
    if isinstance(error, services.ContentForbidden):
        if request.user is None:
            return ApiError(401, "unauthorized", _("Please sign in."))
        return ApiError(403, "forbidden", error.message)
    if error.field:
        return invalid({error.field: error.message}, error.message)
    return ApiError(409, "refused", error.message)


def bound_schema(request, info, editing):
    if info.schema is None:
        raise invalid({"type": _("This kind of content cannot be edited through the API.")})
    schema = bind(info, request, editing)
    return schema, json_fields(schema)


def validated(request, info, body, node=None, editing=False, extra_keys=()):
    schema, fields = bound_schema(request, info, editing)
    errors = check_body(body, fields, extra_keys)
    if errors:
        raise invalid(errors)
    current = None
    if node is not None:
        current = {name: getattr(node, name, None) for name in fields}
    data = {k: v for k, v in body.items() if k not in extra_keys}
    try:
        return deserialize(schema, fields, data, current)
    except colander.Invalid as e:
        raise invalid(e.asdict(translate=request.localizer.translate)) from None


def visible_children(request, node):
    found = services.children(request.dbsession, node)
    return [child for child in found if request.has_permission(Permission.VIEW, child)]


@view_defaults(route_name="api.content", context=Node, renderer="json")
class ContentApi:
    def __init__(self, context, request):
        self.context = context
        self.request = request

    def type_info(self, name):
        info = content_types(self.request.registry).get(name) if isinstance(name, str) else None
        if info is None:
            raise invalid({"type": _("Unknown content type.")})
        return info

    @view_config(request_method="GET", permission=Permission.VIEW)
    def read(self):
        node = self.context
        info = content_types(self.request.registry).get(node.type)
        children = visible_children(self.request, node) if info and info.folderish else None
        return node_json(self.request, node, children)

    @view_config(request_method="POST", permission=Permission.ADD)
    def create(self):
        body = read_json(self.request)
        info = self.type_info(body.get("type"))
        appstruct = validated(self.request, info, body, extra_keys=CREATE_KEYS)
        name = appstruct.pop("name", "") or None
        try:
            node = services.create_content(self.request, self.context, info.name, appstruct,
                                           name=name or None)
        except services.ContentError as e:
            raise content_error(self.request, e) from None
        self.request.response.status_int = 201
        self.request.response.headers["Location"] = node_json(self.request, node)["api_url"]
        return node_json(self.request, node)

    def _update(self, partial):
        body = read_json(self.request)
        node = self.context
        info = self.type_info(node.type)
        appstruct = validated(self.request, info, body, node=node if partial else None,
                              editing=True)
        try:
            comment = self.request.localizer.translate(_("Edited via the API"))
            services.update_content(self.request, node, appstruct, comment=comment)
        except services.ContentError as e:
            raise content_error(self.request, e) from None
        return node_json(self.request, node)

    @view_config(request_method="PATCH", permission=Permission.EDIT)
    def patch(self):
        return self._update(partial=True)

    @view_config(request_method="PUT", permission=Permission.EDIT)
    def put(self):
        return self._update(partial=False)

    @view_config(request_method="DELETE", permission=Permission.DELETE)
    def delete(self):
        try:
            services.trash(self.request, self.context)
        except services.ContentError as e:
            raise content_error(self.request, e) from None
        return HTTPNoContent()

    @view_config(name="transitions", request_method="GET", permission=Permission.VIEW)
    def transitions(self):
        translate = self.request.localizer.translate
        return {
            "state": self.context.state,
            "transitions": [{"name": t.name, "title": translate(t.title), "target": t.target}
                            for t in services.available_transitions(self.request, self.context)],
        }

    @view_config(name="transition", request_method="POST", permission=Permission.VIEW)
    def transition(self):
        body = read_json(self.request)
        unknown = {safe_key(k): _("This field does not exist or cannot be set here.")
                   for k in body if k != "transition"}
        name = body.get("transition")
        if not isinstance(name, str) or not name or not storable_text(name):
            unknown["transition"] = _("Name the transition to take.")
        if unknown:
            raise invalid(unknown)
        try:
            services.transition(self.request, self.context, name)
        except services.ContentForbidden as e:
            # Answered, not raised: raising would roll back the denial's audit entry.
            error = content_error(self.request, e)
            return error_response(self.request, error.status, error.code, error.message)
        except services.ContentError as e:
            raise content_error(self.request, e) from None
        return node_json(self.request, self.context)


def int_param(request, name, default, low, high):
    value = request.params.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid({name: _("Give a whole number.")}) from None
    if not low <= number <= high:
        raise invalid({name: _("This number is out of range.")})
    return number


@view_config(route_name="api.search", request_method="GET", renderer="json",
             permission=NO_PERMISSION_REQUIRED)
def search_api(request):
    query = request.params.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        raise invalid({"q": _("The search words are too long.")})
    page = int_param(request, "page", 1, 1, 10_000)
    page_size = int_param(request, "page_size",
                          request.registry.settings["kairan.search.page_size"], 1, 100)
    results = search(request.dbsession, query, request.locale_name, page, page_size)
    items = []
    for hit in results.hits:
        items.append({
            "id": hit.node_id, "type": hit.type, "path": hit.path,
            "url": request.application_url + hit.path,
            "title": hit.title, "title_html": hit.title_html, "snippet_html": hit.snippet_html,
            "modified": hit.modified.isoformat().replace("+00:00", "Z") if hit.modified else None,
        })
    return {"query": results.query, "locale": request.locale_name, "page": results.page,
            "page_size": results.page_size, "pages": results.pages, "total": results.total,
            "results": items}


@view_config(route_name="api.session", request_method="GET", renderer="json",
             permission=Permission.MEMBER)
def session_info(request):
    """Who is signed in, and the CSRF token to echo in ``X-CSRF-Token``.

    The token's cookie is HttpOnly, so a script in the page cannot read it;
    this answer is only readable by the same origin (no CORS headers).
    Signed-in users only: nothing an anonymous client could change needs it.
    """
    user = request.user
    request.response.cache_control.no_store = True
    return {
        "user": {"id": user.id, "display_name": user.display_name},
        "locale": request.locale_name,
        "csrf_token": get_csrf_token(request),
    }


@view_config(route_name="api.openapi", request_method="GET", renderer="json",
             permission=NO_PERMISSION_REQUIRED)
def openapi_document(request):
    from kairan.api.openapi import build_document

    return build_document(request)

