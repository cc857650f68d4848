"""Registration and e-mail verification.

Registering an address that already has an account answers exactly like a
new registration (same page, same work: a password is hashed either way);
the owner gets a mail saying someone tried, or a fresh link if the account
was never confirmed. Clicking the link shows a page with a button: the GET
changes nothing (mail scanners open links), the POST activates.
"""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.forms import make_form
from kairan.accounts.models import User
from kairan.accounts.passwords import hash_password
from kairan.accounts.schemas import ConfirmSchema, RegisterSchema
from kairan.accounts.services import consume_token, find_token, issue_token, user_by_email
from kairan.accounts.views.common import PAGE, absolute_link, page, send_mail, submitted
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import _

VERIFY_SUBJECT = "Please confirm your e-mail address (${site})"
VERIFY_BODY = ("Hello ${name},\n\nthank you for registering with ${site}. Please open this link "
               "within 24 hours to confirm your e-mail address and activate your account:\n\n"
               "${link}\n\nIf you did not register, you can ignore this mail.")
EXISTS_SUBJECT = "Someone tried to register with your address (${site})"
EXISTS_BODY = ("Hello ${name},\n\nsomeone, perhaps you, tried to register a new account at "
               "${site} with this e-mail address, which already has an account. Nothing was "
               "changed.\n\nIf you have forgotten your password, you can set a new one here:\n\n"
               "${link}")


def send_verification(request, user):
    raw = issue_token(request.dbsession, user, "verify")
    send_mail(request, user.email, user.locale, VERIFY_SUBJECT, VERIFY_BODY,
              name=user.display_name, link=absolute_link(request, "accounts.verify", token=raw))


def _sent_page(request):
    return page(request, _("Please check your mail"), [
        _("We have sent a mail to the address you entered. Please open the link in it within "
          "24 hours to activate your account."),
        _("If no mail arrives within a few minutes, please check your spam folder."),
    ])


@view_config(route_name="accounts.register", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def register(request):
    form = make_form(request, RegisterSchema(), _("Create my account"))
    title = _("Create an account")
    intro = [_("With an account you can use the city's online services. We will send you a "
               "mail to confirm your address.")]
    data, shown = submitted(request, form, title, intro)
    if shown is not None:
        return shown

    password_hash = hash_password(data["new_password"])
    existing = user_by_email(request.dbsession, data["email"])
    if existing is None:
        user = User(email=data["email"], display_name=data["display_name"],
                    password_hash=password_hash, status="pending",
                    locale=request.locale_name, created=utcnow())
        request.dbsession.add(user)
        request.dbsession.flush()
        send_verification(request, user)
        audit(request, "account.register", target=f"user:{user.id}", actor_id=user.id)
    elif existing.status == "pending":
        send_verification(request, existing)
        audit(request, "account.register", target=f"user:{existing.id}", actor_id=existing.id,
              outcome="failure", detail={"reason": "pending_again"})
    else:
        send_mail(request, existing.email, existing.locale, EXISTS_SUBJECT, EXISTS_BODY,
                  name=existing.display_name,
                  link=absolute_link(request, "accounts.reset_request"))
        audit(request, "account.register", target=f"user:{existing.id}", actor_id=existing.id,
              outcome="failure", detail={"reason": "exists"})
    return _sent_page(request)


def _invalid_link(request, status=400):
    return page(request, _("This link is not valid"), [
        _("The link has expired or has already been used. Links in our mails work once, for a "
          "limited time."),
    ], links=[(request.route_path("accounts.register"), _("Register again to get a new link")),
              (request.route_path("accounts.login"), _("Sign in"))], status=status)


@view_config(route_name="accounts.verify", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def verify(request):
    raw = request.matchdict["token"]
    if find_token(request.dbsession, raw, "verify") is None:
        return _invalid_link(request)
    form = make_form(request, ConfirmSchema(), _("Confirm my e-mail address"))
    title = _("Confirm your e-mail address")
    if request.method != "POST":
        return page(request, title, [_("Press the button to activate your account.")],
                    form.render())
    user_id = consume_token(request.dbsession, raw, "verify")
    user = request.dbsession.get(User, user_id) if user_id else None
    if user is None:
        return _invalid_link(request)
    if user.status == "pending":
        user.status = "active"
    user.email_verified_at = utcnow()
    audit(request, "account.verify", target=f"user:{user.id}", actor_id=user.id)
    request.session.flash(request.localizer.translate(
        _("Your e-mail address is confirmed. You can now sign in.")))
    return HTTPSeeOther(request.route_url("accounts.login"))
