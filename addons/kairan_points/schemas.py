"""Forms of the points pages (colander): amounts, programmes, grants and corrections.

``Points`` is the one type every amount goes through: digits only (full-width
digits typed on a Japanese keyboard are read as the same number), from 1 to
a limit bound at ``schema.bind(limit=...)``. Signs, decimals, exponents,
"NaN" and empty input are refused with a message saying what to type.
"""

import re
import unicodedata

import colander
import deform.widget

from kairan.accounts.schemas import CSRFSchema
from kairan.i18n.translation import _
from kairan_points.ledger import LEDGER_MAX
from kairan_points.models import EXPIRY_DAYS, EXPIRY_FIXED

DIGITS = re.compile(r"^[0-9]{1,15}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


class Points(colander.SchemaType):
    """A whole, positive number of points (see the module docstring)."""

    def serialize(self, node, appstruct):
        return colander.null if appstruct in (colander.null, None) else str(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, _("Enter a whole number of points, such as 500."))
        text = unicodedata.normalize("NFKC", cstruct).strip().replace(",", "")
        if not DIGITS.match(text):
            raise colander.Invalid(node, _("Enter a whole number of points, such as 500."))
        return int(text)


@colander.deferred
def deferred_amount_range(node, kw):
    limit = kw.get("limit", LEDGER_MAX)
    return colander.Range(
        min=1, max=limit,
        min_err=_("Enter a whole number of points greater than zero."),
        max_err=_("The amount may be at most ${max} points."))


def amount_node(title, description=None):
    return colander.SchemaNode(
        Points(), title=title, description=description, validator=deferred_amount_range,
        widget=deform.widget.TextInputWidget(attributes={"inputmode": "numeric",
                                                         "autocomplete": "off"}))


class CodeList(colander.SchemaType):
    """Merchant category codes, separated by commas or spaces."""

    def serialize(self, node, appstruct):
        return colander.null if not appstruct else ", ".join(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None):
            return []
        if not isinstance(cstruct, str):
            raise colander.Invalid(node, _("Enter category codes separated by commas."))
        codes = [c for c in re.split(r"[\s,、]+", unicodedata.normalize("NFKC", cstruct)) if c]
        bad = [c for c in codes if not CATEGORY.match(c)]
        if bad or len(codes) > 50:
            raise colander.Invalid(node, _("Category codes are lower-case letters, digits and "
                                           "'_.-', separated by commas."))
        return list(dict.fromkeys(codes))


def date_node(title, **kw):
    return colander.SchemaNode(colander.Date(), title=title,
                               widget=deform.widget.TextInputWidget(attributes={"type": "date"}),
                               **kw)


def text_node(title, max_length, required=True, **kw):
    extra = {} if required else {"missing": ""}
    return colander.SchemaNode(
        colander.String(), title=title,
        validator=colander.Length(min=1 if required else 0, max=max_length,
                                  max_err=_("At most ${max} characters.")),
        **extra, **kw)


class ProgrammeSchema(CSRFSchema):
    code = text_node(_("Code"), 40, description=_("Lower-case letters, digits and '-', e.g. "
                                                   "miyagi-2025. Used in links and exports."),
                     preparer=lambda v: v.strip().lower() if isinstance(v, str) else v)
    name = text_node(_("Name (Japanese)"), 200)
    name_en = text_node(_("Name (English)"), 200, required=False)
    spend_from = date_node(_("Points can be spent from (date)"))
    spend_until = date_node(_("Points can be spent until (date, included)"))
    expiry_kind = colander.SchemaNode(
        colander.String(), title=_("How the points expire"),
        validator=colander.OneOf([EXPIRY_FIXED, EXPIRY_DAYS]),
        widget=deform.widget.SelectWidget(values=[
            (EXPIRY_FIXED, _("On a fixed date, at 00:00 (Japan time)")),
            (EXPIRY_DAYS, _("A number of days after they were earned"))]))
    expires_on = date_node(_("Expiry date (points expire at 00:00 Japan time that day)"),
                           missing=None)
    expiry_days = colander.SchemaNode(
        colander.Integer(), title=_("Days until the points expire"), missing=None,
        validator=colander.Range(min=1, max=3660,
                                 min_err=_("Enter a number of days from 1 to 3660."),
                                 max_err=_("Enter a number of days from 1 to 3660.")),
        widget=deform.widget.TextInputWidget(attributes={"inputmode": "numeric"}))
    categories = colander.SchemaNode(
        CodeList(), title=_("Merchant categories where the points can be spent"),
        description=_("Category codes separated by commas, e.g. supermarket, drugstore. "
                      "Empty: every category."), missing=[])
    budget = amount_node(_("Budget (points)"),
                         description=_("The points issued in this programme may never "
                                       "exceed it."))

    def validator(self, node, value):
        error = colander.Invalid(node)
        if value["spend_until"] < value["spend_from"]:
            error["spend_until"] = _("The spending period ends before it starts.")
        if not CODE.match(value["code"]):
            error["code"] = _("Lower-case letters, digits and '-' only.")
        if value["expiry_kind"] == EXPIRY_FIXED and value.get("expires_on") is None:
            error["expires_on"] = _("Enter the date on which the points expire.")
        if value["expiry_kind"] == EXPIRY_DAYS and value.get("expiry_days") is None:
            error["expiry_days"] = _("Enter after how many days the points expire.")
        if error.children:
            raise error


@colander.deferred
def deferred_programme_choices(node, kw):
    return deform.widget.SelectWidget(values=kw.get("programmes", []))


@colander.deferred
def deferred_programme_validator(node, kw):
    return colander.OneOf([value for value, _title in kw.get("programmes", [])])


class GrantSchema(CSRFSchema):
    """A manual grant or correction; the resident is named by their e-mail address."""

    programme = colander.SchemaNode(colander.String(), title=_("Programme"),
                                    widget=deferred_programme_choices,
                                    validator=deferred_programme_validator)
    email = colander.SchemaNode(
        colander.String(), title=_("Resident's e-mail address"),
        validator=colander.Length(min=3, max=254),
        preparer=lambda v: v.strip().lower() if isinstance(v, str) else v,
        widget=deform.widget.TextInputWidget(attributes={"type": "email",
                                                         "autocomplete": "off"}))
    amount = amount_node(_("Points"))
    reason = text_node(_("Reason"), 500, widget=deform.widget.TextAreaWidget(rows=3),
                       description=_("Recorded with the transfer and shown to the resident."))
    idempotency_key = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(),
        validator=colander.Regex(r"^[A-Za-z0-9_-]{16,64}$",
                                 msg=_("The form has expired; please send it again.")))
