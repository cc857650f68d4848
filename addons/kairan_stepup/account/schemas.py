"""The operator-assisted reset form."""

import colander
import deform

from kairan.accounts.schemas import CSRFSchema
from kairan.i18n.translation import _

IDENTITY_CHECKS = (
    ("counter", _("In person at the counter, with an identity document")),
    ("mynumber", _("In person, with the MyNumber card")),
    ("phone", _("By phone, calling back the number on record and asking questions")),
    ("post", _("By a letter to the registered address")),
    ("other", _("Another way (described in the note)")),
)


def _checked(node, value):
    if value is not True:
        raise colander.Invalid(node, _("Please confirm that you checked the resident's "
                                       "identity."))


class OperatorResetSchema(CSRFSchema):
    identity_check = colander.SchemaNode(
        colander.String(), title=_("How the resident's identity was checked"),
        validator=colander.OneOf([value for value, _title in IDENTITY_CHECKS]),
        widget=deform.widget.RadioChoiceWidget(values=IDENTITY_CHECKS),
    )
    note = colander.SchemaNode(
        colander.String(), title=_("Note"),
        description=_("What was checked, e.g. the kind of document and who helped. No "
                      "document numbers."),
        preparer=lambda value: value.strip() if isinstance(value, str) else value,
        validator=colander.Length(min=5, max=500, min_err=_("Please write at least a few "
                                                            "words."),
                                  max_err=_("At most ${max} characters.")),
        widget=deform.widget.TextAreaWidget(rows=3),
    )
    confirm = colander.SchemaNode(
        colander.Boolean(), title=_("I checked the resident's identity myself"),
        validator=_checked,
        widget=deform.widget.CheckboxWidget(),
    )
