"""Rendering deform forms with Kairan's accessible widget templates.

The templates in ``kairan_theme_default:templates/accounts/deform`` tie each
error message and help text to its input with ``aria-describedby`` and list
the errors at the top of the form; deform's own templates are the fallback
for any widget not overridden there. One renderer per language is kept in
the registry, so templates are compiled once.
"""

import deform
from pyramid.path import AssetResolver

TEMPLATES = "kairan_theme_default:templates/accounts/deform"


def form_renderer(request):
    key = "kairan.accounts.deform_renderer." + request.locale_name
    renderer = request.registry.get(key)
    if renderer is None:
        ours = AssetResolver().resolve(TEMPLATES).abspath()
        deform_default = AssetResolver().resolve("deform:templates").abspath()
        localizer = request.localizer
        renderer = deform.ZPTRendererFactory(
            (ours, deform_default), auto_reload=False, translator=localizer.translate
        )
        request.registry[key] = renderer
    return renderer


def make_form(request, schema, button_title, action=None, formid="form", **bind):
    """A deform ``Form`` for ``schema`` bound to the request, with one submit button."""
    bound = schema.bind(request=request, **bind)
    button = deform.Button("submit", title=request.localizer.translate(button_title))
    return deform.Form(
        bound,
        buttons=(button,),
        renderer=form_renderer(request),
        action=action or request.path_qs,
        formid=formid,
    )


def validate(request, form):
    """The appstruct of the posted form; raises ``deform.ValidationFailure``."""
    return form.validate(list(request.POST.items()))
