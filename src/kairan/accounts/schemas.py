"""Colander schemas of the account forms, bound to the request (``schema.bind(request=...)``).

Unknown fields (``role``, ``status``, ``user_id``...) are ignored by colander's
mappings: a form can only ever change the fields declared here.
"""

import colander
import deform
from pyramid.csrf import get_csrf_token

from kairan.accounts.passwords import MAX_LENGTH, password_problems
from kairan.i18n.translation import _


@colander.deferred
def deferred_csrf(node, kw):
    return get_csrf_token(kw["request"])


class CSRFSchema(colander.Schema):
    """Carries the CSRF token; Pyramid checks it before the view runs."""

    csrf_token = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(), default=deferred_csrf,
        missing=colander.drop,
    )


def email_node(**kw):
    return colander.SchemaNode(
        colander.String(),
        title=_("E-mail address"),
        preparer=lambda value: value.strip().lower() if isinstance(value, str) else value,
        validator=colander.All(
            colander.Length(max=254),
            colander.Email(msg=_("Please enter a valid e-mail address.")),
        ),
        widget=deform.widget.TextInputWidget(
            attributes={"type": "email", "autocomplete": "email", "inputmode": "email"}
        ),
        **kw,
    )


def policy_validator(node, value):
    """The context-free part of the policy, so it is reported with the other field errors;
    the schema's validator adds the names once every field is valid."""
    problems = password_problems(value)
    if problems:
        raise colander.Invalid(node, problems)


def password_node(title=_("Password"), autocomplete="current-password", description=None,
                  name=None, policy=False):
    kw = {"name": name} if name else {}
    return colander.SchemaNode(
        colander.String(),
        title=title,
        description=description,
        # not stripped: spaces are part of a password
        preparer=None,
        validator=policy_validator if policy else colander.Length(max=4 * MAX_LENGTH),
        widget=deform.widget.PasswordWidget(
            attributes={"autocomplete": autocomplete, "maxlength": str(MAX_LENGTH)}
        ),
        **kw,
    )


NEW_PASSWORD_HELP = _("8 to 128 characters. A long phrase that is easy for you to remember "
                      "is best; common passwords and your own name are refused.")


def display_name_node():
    return colander.SchemaNode(
        colander.String(),
        title=_("Display name"),
        preparer=lambda value: value.strip() if isinstance(value, str) else value,
        validator=colander.Length(min=1, max=100, max_err=_("At most ${max} characters.")),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "nickname"}),
    )


def context_words(request, email="", display_name=""):
    """Words a password must not contain: the site's name and the user's own names."""
    local_part = (email or "").split("@")[0]
    return [request.registry.settings["kairan.site_title"], "kairan", "回覧板", local_part,
            display_name or ""]


def check_new_password(node, appstruct, words, new="new_password", confirm="confirm_password"):
    """Raise ``colander.Invalid`` on the fields if the new password is refused."""
    error = colander.Invalid(node)
    problems = password_problems(appstruct[new], words)
    if problems:
        error[new] = problems
    elif appstruct[new] != appstruct[confirm]:
        error[confirm] = _("The two passwords are not the same.")
    if error.children:
        raise error


class RegisterSchema(CSRFSchema):
    email = email_node()
    display_name = display_name_node()
    new_password = password_node(_("Password"), "new-password", NEW_PASSWORD_HELP,
                                 policy=True)
    confirm_password = password_node(_("Password again"), "new-password")

    def validator(self, node, appstruct):
        request = self.bindings["request"]
        words = context_words(request, appstruct["email"], appstruct["display_name"])
        check_new_password(node, appstruct, words)


class LoginSchema(CSRFSchema):
    email = email_node()
    password = password_node()
    came_from = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(), missing=""
    )


class ResetRequestSchema(CSRFSchema):
    email = email_node()


class ConfirmSchema(CSRFSchema):
    """A form with nothing but a button (confirming an e-mail address)."""


class _NewPasswordMixin:
    def validator(self, node, appstruct):
        request = self.bindings["request"]
        user = self.bindings["user"]
        check_new_password(node, appstruct, context_words(request, user.email, user.display_name))


class ResetSchema(_NewPasswordMixin, CSRFSchema):
    new_password = password_node(_("New password"), "new-password", NEW_PASSWORD_HELP,
                                 policy=True)
    confirm_password = password_node(_("New password again"), "new-password")


class PasswordChangeSchema(_NewPasswordMixin, CSRFSchema):
    current_password = password_node(_("Current password"))
    new_password = password_node(_("New password"), "new-password", NEW_PASSWORD_HELP,
                                 policy=True)
    confirm_password = password_node(_("New password again"), "new-password")
    sign_out_others = colander.SchemaNode(
        colander.Boolean(),
        title=_("Sign out my other sessions (other browsers and devices)"),
        default=True,
        missing=False,
        widget=deform.widget.CheckboxWidget(),
    )


@colander.deferred
def deferred_locale_widget(node, kw):
    request = kw["request"]
    from kairan.views.layout import LANGUAGE_NAMES

    values = [(code, LANGUAGE_NAMES.get(code, code))
              for code in request.registry.settings["kairan.locales"]]
    return deform.widget.SelectWidget(values=values)


@colander.deferred
def deferred_locale_validator(node, kw):
    return colander.OneOf(kw["request"].registry.settings["kairan.locales"])


class ProfileSchema(CSRFSchema):
    display_name = display_name_node()
    locale = colander.SchemaNode(
        colander.String(),
        title=_("Language for e-mail and pages"),
        widget=deferred_locale_widget,
        validator=deferred_locale_validator,
    )


def must_be_checked(node, value):
    if not value:
        raise colander.Invalid(node, _("Please tick this box to confirm."))


class DeleteSchema(CSRFSchema):
    password = password_node(_("Your password"))
    confirm = colander.SchemaNode(
        colander.Boolean(),
        title=_("I understand that my account and its data will be deleted and cannot be "
                "restored."),
        missing=False,
        validator=must_be_checked,
        widget=deform.widget.CheckboxWidget(),
    )


@colander.deferred
def deferred_roles_widget(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=sorted(kw["role_titles"].items()))


@colander.deferred
def deferred_roles_validator(node, kw):
    return colander.ContainsOnly(list(kw["role_titles"]))


class UserRolesSchema(CSRFSchema):
    roles = colander.SchemaNode(
        colander.Set(),
        title=_("Roles"),
        widget=deferred_roles_widget,
        validator=deferred_roles_validator,
        missing=set(),
    )


class UserSearchSchema(colander.Schema):
    """The query string of the user list."""

    q = colander.SchemaNode(colander.String(), missing="", validator=colander.Length(max=200))
    page = colander.SchemaNode(colander.Integer(), missing=1,
                               validator=colander.Range(min=1, max=100000))
