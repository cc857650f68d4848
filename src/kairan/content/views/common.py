"""What every content page template gets, and small helpers the views share."""

from datetime import datetime
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPSeeOther

from kairan.content.models import Node
from kairan.content.services import available_transitions
from kairan.content.typeinfo import addable_types, content_types
from kairan.content.workflow import get_workflow
from kairan.security.permissions import Permission

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(value):
    """An aware datetime shown in Asia/Tokyo."""
    return value.astimezone(TOKYO) if isinstance(value, datetime) else value


def format_datetime(value, locale):
    if value is None:
        return ""
    local = tokyo(value)
    if locale == "ja":
        weekday = "月火水木金土日"[local.weekday()]
        return f"{local.year}年{local.month}月{local.day}日({weekday}) {local:%H:%M}"
    return local.strftime("%a %d %b %Y, %H:%M")


def format_date(value, locale):
    if value is None:
        return ""
    local = tokyo(value)
    if locale == "ja":
        return f"{local.year}年{local.month}月{local.day}日"
    return local.strftime("%d %b %Y")


def localized(node, field, locale):
    return node.localized(field, locale)[0] if hasattr(node, field) else ""


def fell_back(node, locale):
    """True when an English visitor sees Japanese text on this page."""
    if locale != "en":
        return False
    for field in ("title", "description", "body", "place"):
        if getattr(node, field, "") and not getattr(node, field + "_en", ""):
            return True
    return False


def type_title(request, node):
    info = content_types(request.registry).get(node.type)
    return request.localizer.translate(info.title) if info else node.type


class Toolbar:
    """The editor's actions on a node, only those the user may take."""

    def __init__(self, context, request):
        self.context = context
        self.request = request
        allowed = request.has_permission
        self.signed_in = request.user is not None
        is_root = context.parent_id is None
        self.can_view_drafts = self.signed_in and bool(allowed(Permission.VIEW_DRAFTS, context))
        self.can_edit = self.signed_in and bool(allowed(Permission.EDIT, context))
        self.can_delete = self.signed_in and not is_root and bool(allowed(Permission.DELETE,
                                                                          context))
        self.can_copy = self.signed_in and not is_root and bool(allowed(Permission.ADD, context))
        self.can_share = self.signed_in and bool(allowed(Permission.MANAGE, context))
        self.trash_url = request.route_path("content.trash") if is_root and self.can_share \
            else None
        self.addable = addable_types(request, context) if self.signed_in else []
        self.transitions = available_transitions(request, context) if self.signed_in else []
        workflow = get_workflow(request.registry, context.type)
        self.state_title = request.localizer.translate(workflow.state_title(context.state))

    @property
    def visible(self):
        return self.can_view_drafts or self.can_edit or self.can_share or bool(self.addable)

    def translate(self, message):
        return self.request.localizer.translate(message)


def page_values(context, request, **extra):
    """The values of a content page: localized texts, dates, toolbar."""
    locale = request.locale_name
    values = {
        "node": context,
        "page_title": localized(context, "title", locale),
        "title": localized(context, "title", locale),
        "description": localized(context, "description", locale),
        "body": localized(context, "body", locale),
        "fell_back": fell_back(context, locale),
        "content_lang": "ja" if fell_back(context, locale) else locale,
        "toolbar": Toolbar(context, request),
        "fmt_datetime": lambda value: format_datetime(value, locale),
        "fmt_date": lambda value: format_date(value, locale),
        "loc": lambda node, field: localized(node, field, locale),
        "type_title": lambda node: type_title(request, node),
        "locale": locale,
    }
    values.update(extra)
    return values


def redirect_to(request, node, view_name="", flash=None, **query):
    if flash is not None:
        request.session.flash(request.localizer.translate(flash))
    url = node.path + (f"@@{view_name}" if view_name else "")
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return HTTPSeeOther(request.application_url + url)


def is_node(value):
    return isinstance(value, Node)
