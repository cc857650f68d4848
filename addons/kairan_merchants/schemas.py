"""Colander schemas of the merchant forms, bound to the request (``schema.bind(request=...)``).

Unknown fields (``status``, ``merchant_id``...) are ignored by colander's
mappings: a form can only ever set the fields declared here.
"""

import colander
import deform

from kairan.accounts.schemas import CSRFSchema, email_node
from kairan.i18n.translation import _
from kairan_merchants.normalising import display_phone, normalise_postal_code, phone_digits
from kairan_merchants.services import CATEGORIES

MAX_EXTRA_BRANCHES = 3


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def text_node(title, max_length=200, missing=colander.required, description=None,
              autocomplete=None, **kw):
    attributes = {"maxlength": str(max_length)}
    if autocomplete:
        attributes["autocomplete"] = autocomplete
    return colander.SchemaNode(
        colander.String(), title=title, description=description, preparer=_strip,
        missing=missing,
        validator=colander.Length(min=0 if missing is not colander.required else 1,
                                  max=max_length, max_err=_("At most ${max} characters.")),
        widget=deform.widget.TextInputWidget(attributes=attributes), **kw)


def textarea_node(title, max_length=1000, missing="", description=None, **kw):
    return colander.SchemaNode(
        colander.String(), title=title, description=description, missing=missing, **kw,
        preparer=_strip,
        validator=colander.Length(max=max_length, max_err=_("At most ${max} characters.")),
        widget=deform.widget.TextAreaWidget(rows=3, attributes={"maxlength": str(max_length)}))


def postal_preparer(value):
    if not isinstance(value, str) or not value.strip():
        return value
    return normalise_postal_code(value) or value.strip()


def postal_validator(node, value):
    if normalise_postal_code(value) != value:
        raise colander.Invalid(node, _("Enter the postal code as NNN-NNNN, for example "
                                       "980-8570."))


def phone_preparer(value):
    return display_phone(value) if isinstance(value, str) and value.strip() else value


def phone_validator(node, value):
    if len(value) > 20 or phone_digits(value) is None:
        raise colander.Invalid(node, _("Enter a Japanese phone number, for example "
                                       "022-211-2111 or 090-1234-5678."))


def phone_node(title, missing=colander.required, **kw):
    return colander.SchemaNode(
        colander.String(), title=title, preparer=phone_preparer, missing=missing, **kw,
        validator=phone_validator,
        widget=deform.widget.TextInputWidget(
            attributes={"type": "tel", "autocomplete": "tel", "inputmode": "tel",
                        "maxlength": "20"}))


@colander.deferred
def category_widget(node, kw):
    translate = kw["request"].localizer.translate
    values = [("", translate(_("Choose...")))] + [(c, translate(t)) for c, t in CATEGORIES]
    return deform.widget.SelectWidget(values=values)


@colander.deferred
def area_widget(node, kw):
    request = kw["request"]
    translate = request.localizer.translate
    areas = request.registry.settings["kairan.merchants.area_list"]
    values = [("", translate(_("Choose...")))] + [
        (a.code, a.label(request.locale_name)) for a in areas]
    return deform.widget.SelectWidget(values=values)


@colander.deferred
def area_validator(node, kw):
    areas = kw["request"].registry.settings["kairan.merchants.area_list"]
    return colander.OneOf([a.code for a in areas], msg_err=_("Choose an area from the list."))


@colander.deferred
def programmes_widget(node, kw):
    request = kw["request"]
    programmes = request.registry.settings["kairan.merchants.programme_list"]
    return deform.widget.CheckboxChoiceWidget(
        values=[(p.code, p.label(request.locale_name)) for p in programmes])


@colander.deferred
def programmes_validator(node, kw):
    codes = {p.code for p in kw["request"].registry.settings["kairan.merchants.programme_list"]}

    def check(node, value):
        if not value:
            raise colander.Invalid(node, _("Choose at least one programme."))
        if not set(value) <= codes:
            raise colander.Invalid(node, _("Choose programmes from the list."))

    return check


def category_node():
    return colander.SchemaNode(
        colander.String(), title=_("Category"), widget=category_widget,
        validator=colander.OneOf([c for c, _t in CATEGORIES],
                                 msg_err=_("Choose a category from the list.")))


def branch_fields(schema, required):
    missing = colander.required if required else ""
    schema.add(text_node(_("Shop name"), missing=missing, name="name",
                         description=_("As on the shop sign, e.g. 回覧板マート 中央店.")))
    schema.add(text_node(_("Shop name in English (optional)"), missing="", name="name_en",
                         description=_("Shown to visitors who read the site in English, "
                                       "e.g. Kairan Mart Chuo.")))
    schema.add(colander.SchemaNode(
        colander.String(), name="postal_code", title=_("Postal code"), missing=missing,
        preparer=postal_preparer, validator=postal_validator,
        description=_("NNN-NNNN, for example 980-8570."),
        widget=deform.widget.TextInputWidget(
            attributes={"autocomplete": "postal-code", "inputmode": "numeric",
                        "maxlength": "10"})))
    schema.add(text_node(_("Street address"), max_length=300, missing=missing, name="address",
                         autocomplete="street-address"))
    schema.add(colander.SchemaNode(colander.String(), name="area", title=_("Area"),
                                   missing=missing, widget=area_widget,
                                   validator=area_validator))
    schema.add(phone_node(_("Shop phone number"), missing=missing, name="phone"))
    schema.add(textarea_node(_("Opening hours"), max_length=500, name="hours",
                             description=_("For example: 9:00–21:00, closed on Wednesdays.")))
    return schema


class BranchSchema(colander.Schema):
    def __init__(self, *args, required=True, **kw):
        super().__init__(*args, **kw)
        branch_fields(self, required)

    def validator(self, node, value):
        if self.required_fields_missing(value):
            error = colander.Invalid(node)
            for key in ("name", "postal_code", "address", "area", "phone"):
                if not value.get(key):
                    error[key] = _("Required for every shop you list.")
            raise error

    @staticmethod
    def required_fields_missing(value):
        keys = ("name", "postal_code", "address", "area", "phone")
        filled = [bool(value.get(k)) for k in keys]
        return any(filled) and not all(filled)


def declaration_node(title):
    return colander.SchemaNode(
        colander.Boolean(), title=title, missing=False,
        validator=colander.Function(lambda v: v is True,
                                    msg=_("You must make this declaration to apply.")),
        widget=deform.widget.CheckboxWidget())


class ApplicationSchema(CSRFSchema):
    legal_name = text_node(_("Legal name of the business"), autocomplete="organization",
                           description=_("The company or sole proprietor as registered, "
                                         "e.g. 株式会社回覧板商事."))
    trade_name = text_node(_("Shop or brand name"),
                           description=_("The name residents know your shop by."))
    trade_name_en = text_node(_("Shop or brand name in English (optional)"), missing="")
    category = category_node()
    programmes = colander.SchemaNode(
        colander.Set(), title=_("Point programmes to join"), widget=programmes_widget,
        validator=programmes_validator)
    contact_name = text_node(_("Contact person"), max_length=100, autocomplete="name")
    contact_email = email_node(description=_("We send the confirmation link and our "
                                             "decision to this address."))
    contact_phone = phone_node(_("Contact phone number"))
    branch_1 = BranchSchema(title=_("Shop"), required=True)
    branch_2 = BranchSchema(title=_("Another branch (optional)"), required=False, missing={})
    branch_3 = BranchSchema(title=_("Another branch (optional)"), required=False, missing={})
    branch_4 = BranchSchema(title=_("Another branch (optional)"), required=False, missing={})
    declared_not_antisocial = declaration_node(
        _("We declare that the business, its officers and staff have no ties to organised "
          "crime groups or other anti-social forces (暴力団等反社会的勢力)."))
    declared_not_adult_business = declaration_node(
        _("We declare that the shop is not a business under Article 2, Paragraph 5 of the "
          "Act on Control and Improvement of Amusement Business (風営法 第2条第5項)."))
    declared_no_cash_equivalents = declaration_node(
        _("We will not accept points for cash equivalents: gift certificates, prepaid "
          "cards, postage stamps, revenue stamps, securities and the like."))


def branches_of(appstruct):
    """The filled-in branches of a validated application, in order."""
    found = []
    for index in range(1, MAX_EXTRA_BRANCHES + 2):
        branch = appstruct.get(f"branch_{index}") or {}
        if branch.get("name"):
            found.append({k: branch.get(k, "") for k in ("name", "name_en", "postal_code",
                                                         "address", "area", "phone",
                                                         "hours")})
    return found


class AnswerSchema(CSRFSchema):
    answer = textarea_node(_("Your answer"), max_length=4000, missing=colander.required)


class ConfirmSchema(CSRFSchema):
    """A form with nothing but a button."""


DECISIONS = ("approve", "reject", "ask")


@colander.deferred
def decision_widget(node, kw):
    translate = kw["request"].localizer.translate
    return deform.widget.RadioChoiceWidget(values=[
        ("approve", translate(_("Approve: register the shop"))),
        ("reject", translate(_("Reject (give the reason)"))),
        ("ask", translate(_("Ask the applicant for more information (write the question)")))])


class DecisionSchema(CSRFSchema):
    decision = colander.SchemaNode(
        colander.String(), title=_("Decision"), widget=decision_widget,
        validator=colander.OneOf(DECISIONS, msg_err=_("Choose a decision.")))
    text = textarea_node(_("Reason, question or note"), max_length=4000,
                         description=_("Mailed to the applicant with a rejection or a "
                                       "question."))

    def validator(self, node, value):
        if value["decision"] in ("reject", "ask") and not value["text"]:
            error = colander.Invalid(node)
            error["text"] = (_("Give the reason for the rejection.")
                             if value["decision"] == "reject"
                             else _("Write the question for the applicant."))
            raise error


class StatusSchema(CSRFSchema):
    reason = textarea_node(_("Reason"), max_length=2000, missing=colander.required,
                           description=_("Shown to the shop's staff and mailed to them."))


class StaffSchema(CSRFSchema):
    email = email_node()
    display_name = text_node(_("Name"), max_length=100, autocomplete="name")


class HoursSchema(CSRFSchema):
    name_en = text_node(_("Shop name in English (optional)"), missing="")
    hours = textarea_node(_("Opening hours"), max_length=500)
    phone = phone_node(_("Shop phone number"))


class NewBranchSchema(CSRFSchema):
    """A shop added after approval: the same fields as on the application, all required
    but the English name and the hours."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        branch_fields(self, required=True)


class ProfileSchema(CSRFSchema):
    """What an operator may change of a merchant (where its points can be spent)."""

    name = text_node(_("Shop or brand name"))
    name_en = text_node(_("Shop or brand name in English (optional)"), missing="")
    category = category_node()
    programmes = colander.SchemaNode(
        colander.Set(), title=_("Point programmes"), widget=programmes_widget,
        validator=programmes_validator)
    reason = textarea_node(_("Reason for the change"), max_length=2000,
                           missing=colander.required,
                           description=_("Kept in the history and mailed to the shop's "
                                         "staff."))


class WithdrawSchema(CSRFSchema):
    reason = textarea_node(_("Reason (optional)"), max_length=2000)
