"""The signed-in resident's own account: profile, password, deletion, "download my data"."""

import json

from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from kairan.accounts.forms import make_form
from kairan.accounts.links import account_links
from kairan.accounts.passwords import hash_password, verify_password
from kairan.accounts.providers import personal_data
from kairan.accounts.schemas import (
    ConfirmSchema,
    DeleteSchema,
    PasswordChangeSchema,
    ProfileSchema,
)
from kairan.accounts.services import end_sessions
from kairan.accounts.views.common import PAGE, end_all_sessions, page, submitted
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import LOCALE_COOKIE, _
from kairan.security.permissions import Permission
from kairan.security.ratelimit import get_rate_limiter


def _account_links(request):
    return [
        (request.route_path("accounts.password"), _("Change my password")),
        *account_links(request, "account"),
        (request.route_path("accounts.download"), _("Download my data (JSON)")),
        (request.route_path("accounts.delete"), _("Delete my account")),
    ]


@view_config(route_name="accounts.profile", renderer=PAGE, permission=Permission.MEMBER)
def profile(request):
    user = request.user
    form = make_form(request, ProfileSchema(), _("Save"))
    title = _("My account")
    intro = [_("E-mail address: ${email}", mapping={"email": user.email})]
    links = _account_links(request)
    data, shown = submitted(request, form, title, intro, links,
                            {"display_name": user.display_name, "locale": user.locale})
    if shown is not None:
        return shown
    changed = sorted(k for k in ("display_name", "locale") if getattr(user, k) != data[k])
    user.display_name = data["display_name"]
    user.locale = data["locale"]
    audit(request, "account.update", target=f"user:{user.id}", detail={"fields": changed})
    request.session.flash(request.localizer.translate(_("Your changes are saved.")))
    response = HTTPSeeOther(request.route_url("accounts.profile"))
    response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 86400, path="/",
                        samesite="Lax", httponly=True,
                        secure=request.registry.settings["kairan.production"])
    return response


def _current_password_ok(request, user, password):
    """Check the current password, counting failures on the sign-in limiter of the account."""
    limiter = get_rate_limiter(request, "login.account")
    if limiter.exceeded(request, user.email):
        return False
    if verify_password(user.password_hash, password):
        return True
    limiter.hit(request, user.email)
    return False


@view_config(route_name="accounts.password", renderer=PAGE, permission=Permission.MEMBER)
def change_password(request):
    user = request.user
    form = make_form(request, PasswordChangeSchema(), _("Change my password"), user=user)
    title = _("Change my password")
    data, shown = submitted(request, form, title)
    if shown is not None:
        return shown
    if not _current_password_ok(request, user, data["current_password"]):
        audit(request, "password.change", target=f"user:{user.id}", outcome="failure")
        return page(request, title, (),
                    form.render({"sign_out_others": data["sign_out_others"]}), status=400,
                    alert=_("The current password is not correct."))
    user.password_hash = hash_password(data["new_password"])
    user.password_changed_at = utcnow()
    ended = 0
    if data["sign_out_others"]:
        ended = end_sessions(request.dbsession, user.id, keep=request.session.row.id)
    request.session.rotate()
    new_csrf_token(request)
    audit(request, "password.change", target=f"user:{user.id}",
          detail={"sessions_ended": ended})
    request.session.flash(request.localizer.translate(_("Your new password is saved.")))
    return HTTPSeeOther(request.route_url("accounts.profile"))


@view_config(route_name="accounts.delete", renderer=PAGE, permission=Permission.MEMBER)
def delete_account(request):
    user = request.user
    form = make_form(request, DeleteSchema(), _("Delete my account"))
    title = _("Delete my account")
    intro = [_("Deleting your account removes your profile, your sign-in and the data the "
               "services keep for you. The record that the account existed and was deleted "
               "stays in the audit log for the legally required period."),
             _("You may want to download your data first.")]
    links = [(request.route_path("accounts.download"), _("Download my data (JSON)"))]
    data, shown = submitted(request, form, title, intro, links)
    if shown is not None:
        return shown
    if not _current_password_ok(request, user, data["password"]):
        audit(request, "account.delete", target=f"user:{user.id}", outcome="failure")
        return page(request, title, intro, form.render(), links, status=400,
                    alert=_("The password is not correct."))
    user_id = user.id
    audit(request, "account.delete", target=f"user:{user_id}", actor_id=user_id)
    end_all_sessions(request, user_id)
    request.dbsession.delete(user)
    new_csrf_token(request)
    return HTTPSeeOther(request.application_url + "/")


@view_config(route_name="accounts.download", renderer=PAGE, permission=Permission.MEMBER)
def download(request):
    """GET explains and offers a button; the POST returns the JSON (and is audited,
    which a GET may not be: GET never writes)."""
    user = request.user
    form = make_form(request, ConfirmSchema(), _("Download my data"))
    if request.method != "POST":
        return page(request, _("Download my data"), [
            _("You get one JSON file with everything this site keeps about you: your account, "
              "roles, sessions, your entries in the audit log and the data of each service "
              "you use."),
        ], form.render())
    audit(request, "account.download", target=f"user:{user.id}")
    document = {"generated_at": utcnow().isoformat(), **personal_data(request, user)}
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json",
        charset="utf-8",
    )
    response.content_disposition = 'attachment; filename="my-data.json"'
    return response
