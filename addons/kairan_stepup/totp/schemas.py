"""The forms of the TOTP part: enrolment, a code, a recovery code."""

import colander
import deform

from kairan.accounts.schemas import CSRFSchema
from kairan.i18n.translation import _
from kairan_stepup.totp.services import normalise_code, normalise_recovery


def _code_validator(node, value):
    if normalise_code(value) is None:
        raise colander.Invalid(node, _("Please enter the 6 digits your app shows."))


def _recovery_validator(node, value):
    if normalise_recovery(value) is None:
        raise colander.Invalid(node, _("A recovery code has 10 letters and digits, like "
                                       "ab3cd-7ef9g."))


def code_node():
    return colander.SchemaNode(
        colander.String(), name="code", title=_("6-digit code"),
        validator=_code_validator,
        widget=deform.widget.TextInputWidget(attributes={
            "inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "9",
            "pattern": "[0-9 ]*", "spellcheck": "false"}),
    )


def came_from_node():
    return colander.SchemaNode(colander.String(), name="came_from",
                               widget=deform.widget.HiddenWidget(), missing="",
                               validator=colander.Length(max=2000))


class EnrolSchema(CSRFSchema):
    nickname = colander.SchemaNode(
        colander.String(), title=_("Name for this app (optional)"),
        description=_("For example the name of your phone, so you can tell your apps apart."),
        missing="", validator=colander.Length(max=100, max_err=_("At most ${max} characters.")),
        preparer=lambda value: value.strip() if isinstance(value, str) else value,
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "off"}),
    )
    code = code_node()


class CodeSchema(CSRFSchema):
    code = code_node()
    came_from = came_from_node()


class RecoverySchema(CSRFSchema):
    recovery_code = colander.SchemaNode(
        colander.String(), title=_("Recovery code"), validator=_recovery_validator,
        widget=deform.widget.TextInputWidget(attributes={
            "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
            "maxlength": "20"}),
    )
    came_from = came_from_node()
