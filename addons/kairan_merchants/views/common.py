"""What the merchant views share: forms with the add-on's widget templates, the page helper."""

import deform
from deform import ValidationFailure
from pyramid.path import AssetResolver

from kairan.accounts.forms import TEMPLATES as KAIRAN_TEMPLATES
from kairan.accounts.views.common import page

PAGE = "kairan_theme_default:templates/accounts/page.pt"
OURS = "kairan_merchants:templates/deform"
TOKYO_FORMAT = "%Y-%m-%d %H:%M"


def form_renderer(request):
    """Kairan's accessible widget templates, plus ours for fieldsets, text areas, radios."""
    key = "kairan_merchants.deform_renderer." + request.locale_name
    renderer = request.registry.get(key)
    if renderer is None:
        resolve = AssetResolver().resolve
        paths = (resolve(OURS).abspath(), resolve(KAIRAN_TEMPLATES).abspath(),
                 resolve("deform:templates").abspath())
        renderer = deform.ZPTRendererFactory(paths, auto_reload=False,
                                             translator=request.localizer.translate)
        request.registry[key] = renderer
    return renderer


def make_form(request, schema, button_title, action=None, formid="form", counter=None,
              **bind):
    """A deform form. Several forms on one page share a ``counter`` (``itertools.count()``)
    so that their fields' ids (and the labels' ``for``) never collide."""
    bound = schema.bind(request=request, **bind)
    button = deform.Button("submit", title=request.localizer.translate(button_title))
    return deform.Form(bound, buttons=(button,), renderer=form_renderer(request),
                       action=action or request.path_qs, formid=formid, counter=counter)


def validate(request, form):
    """``(appstruct, None)``, or ``(None, rendered form with errors)``."""
    try:
        return form.validate(list(request.POST.items())), None
    except ValidationFailure as e:
        return None, e.render()


def tokyo(value):
    """An aware UTC time as Asia/Tokyo text, or ''."""
    from zoneinfo import ZoneInfo

    if value is None:
        return ""
    return value.astimezone(ZoneInfo("Asia/Tokyo")).strftime(TOKYO_FORMAT)


def matched_id(request, key):
    """The route's ``{key}`` as an id; 404 when it is too large to be one (the pattern
    already allows digits only)."""
    from pyramid.httpexceptions import HTTPNotFound

    value = int(request.matchdict[key])
    if not 0 < value < 2**31:
        raise HTTPNotFound()
    return value


def no_store(request):
    request.response.headers["Cache-Control"] = "no-store"


__all__ = ["PAGE", "form_renderer", "make_form", "matched_id", "no_store", "page", "tokyo",
           "validate"]
