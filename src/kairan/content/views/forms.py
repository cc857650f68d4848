"""Add and edit forms: a deform ``Form`` over the type's colander schema,
rendered by Kairan's own accessible template (labels, errors tied to fields)."""

from datetime import datetime

import colander
import deform
from deform.widget import CheckboxWidget, TextAreaWidget

from kairan.content.schemas import LocalDateTimeWidget, UploadWidget
from kairan.content.views.common import tokyo


def make_form(request, info, editing):
    schema = info.schema().bind(request=request, editing=editing)
    return deform.Form(schema, formid="content-form")


def field_kind(field):
    widget = field.widget
    if isinstance(widget, UploadWidget):
        return "file"
    if isinstance(widget, LocalDateTimeWidget):
        return "datetime"
    if isinstance(widget, CheckboxWidget):
        return "checkbox"
    if isinstance(widget, TextAreaWidget):
        return "textarea"
    if field.name == "url":
        return "url"
    return "text"


def initial_values(form, node):
    """Form values (strings) for an existing node."""
    values = {}
    for field in form.children:
        value = getattr(node, field.name, None)
        if isinstance(value, datetime):
            value = tokyo(value).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        values[field.name] = value
    return values


def fields(request, form, values, errors):
    """What the template needs per field, in schema order."""
    translate = request.localizer.translate
    found = []
    for field in form.children:
        value = values.get(field.name, "")
        if value is colander.null or value is None:
            value = ""
        found.append({
            "oid": "field-" + field.name,
            "name": field.name,
            "title": translate(field.title),
            "description": translate(field.description) if field.description else "",
            "required": field.required,
            "kind": field_kind(field),
            "value": value if isinstance(value, str) else "",
            "checked": value in ("true", True),
            "error": errors.get(field.name, ""),
        })
    return found


def validate(request, form):
    """(appstruct, None) or (None, (values, errors)) from the POSTed controls."""
    controls = list(request.POST.items())
    try:
        return form.validate(controls), None
    except deform.ValidationFailure as failure:
        errors = failure.error.asdict(translate=request.localizer.translate)
        values = failure.cstruct if isinstance(failure.cstruct, dict) else {}
        return None, (dict(values), errors)


def submitted_values(request, form):
    """The raw posted values (after a refusal by the services)."""
    return {field.name: request.POST.get(field.name, "") for field in form.children
            if field_kind(field) != "file"}
