"""Password reset by e-mail: the same answer whether or not the address has an account."""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.forms import make_form
from kairan.accounts.models import User
from kairan.accounts.passwords import hash_password
from kairan.accounts.schemas import ResetRequestSchema, ResetSchema
from kairan.accounts.services import (
    consume_token,
    find_token,
    issue_token,
    retire_tokens,
    user_by_email,
)
from kairan.accounts.views.common import (
    PAGE,
    absolute_link,
    end_all_sessions,
    page,
    send_mail,
    submitted,
)
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import _

RESET_SUBJECT = "Setting a new password (${site})"
RESET_BODY = ("Hello ${name},\n\nwe received a request to set a new password for your account "
              "at ${site}. Please open this link within one hour:\n\n${link}\n\nIf you did not "
              "ask for this, you can ignore this mail; your password stays as it is.")


@view_config(route_name="accounts.reset_request", renderer=PAGE,
             permission=NO_PERMISSION_REQUIRED)
def reset_request(request):
    form = make_form(request, ResetRequestSchema(), _("Send me a link"))
    title = _("Forgot your password?")
    intro = [_("Enter the e-mail address of your account. We will send you a link to set a new "
               "password.")]
    data, shown = submitted(request, form, title, intro)
    if shown is not None:
        return shown
    user = user_by_email(request.dbsession, data["email"])
    if user is not None and user.status in ("active", "pending"):
        retire_tokens(request.dbsession, user.id, "reset")
        raw = issue_token(request.dbsession, user, "reset")
        send_mail(request, user.email, user.locale, RESET_SUBJECT, RESET_BODY,
                  name=user.display_name, link=absolute_link(request, "accounts.reset", token=raw))
        audit(request, "password.reset_request", actor_id=user.id, target=f"user:{user.id}")
    return page(request, _("Please check your mail"), [
        _("If an account exists for this address, we have sent it a link to set a new password. "
          "The link works once, within one hour."),
    ])


@view_config(route_name="accounts.reset", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def reset(request):
    raw = request.matchdict["token"]
    token = find_token(request.dbsession, raw, "reset")
    user = request.dbsession.get(User, token.user_id) if token is not None else None
    if user is None or user.status not in ("active", "pending"):
        return page(request, _("This link is not valid"), [
            _("The link has expired or has already been used. Links in our mails work once, "
              "for a limited time."),
        ], links=[(request.route_path("accounts.reset_request"), _("Ask for a new link"))],
            status=400)
    form = make_form(request, ResetSchema(), _("Save the new password"), user=user)
    title = _("Set a new password")
    data, shown = submitted(request, form, title)
    if shown is not None:
        return shown
    if consume_token(request.dbsession, raw, "reset") != user.id:
        return HTTPSeeOther(request.route_url("accounts.reset", token=raw))
    now = utcnow()
    user.password_hash = hash_password(data["new_password"])
    user.password_changed_at = now
    if user.status == "pending":
        # the link reached the mailbox, which is what verification proves
        user.status = "active"
        user.email_verified_at = now
    ended = end_all_sessions(request, user.id)
    audit(request, "password.reset", actor_id=user.id, target=f"user:{user.id}",
          detail={"sessions_ended": ended})
    request.session.flash(request.localizer.translate(
        _("Your new password is saved. Please sign in with it.")))
    return HTTPSeeOther(request.route_url("accounts.login"))
