"""Sign-in and sign-out.

An unknown address and a wrong password get the same answer (status and
body) after the same work: the unknown case verifies against a dummy hash.
Failed attempts are counted per account and per address; once either
limiter is used up, every attempt in the window, even with the right
password, gets 429 with ``Retry-After``.
"""

from deform import ValidationFailure
from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.forms import make_form, validate
from kairan.accounts.passwords import hash_password, needs_rehash, verify_password
from kairan.accounts.schemas import LoginSchema
from kairan.accounts.services import record_activity, user_by_email
from kairan.accounts.views.common import PAGE, page
from kairan.audit.services import audit
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.assurance import safe_came_from, sign_in_alternatives
from kairan.security.ratelimit import get_rate_limiter

BAD_CREDENTIALS = _("The e-mail address or the password is not correct.")


def _login_page(request, form_html, alert=None, status=None):
    # Add-ons' factors that sign in on their own (a passkey, the MyNumber card).
    came_from = request.params.get("came_from", "")
    others = [(url, a.title) for a, url in sign_in_alternatives(request, came_from)]
    return page(request, _("Sign in"), (), form_html, alert=alert,
                links=[*others,
                       (request.route_path("accounts.reset_request"), _("Forgot your password?")),
                       (request.route_path("accounts.register"), _("Create an account"))],
                status=status)


def _throttled(request, seconds):
    minutes = max(1, (seconds + 59) // 60)
    request.response.headers["Retry-After"] = str(int(seconds))
    return page(request, _("Too many attempts"), [
        _("There have been too many sign-in attempts. For your security, signing in is paused. "
          "Please try again in about ${minutes} minutes.", mapping={"minutes": minutes}),
    ], status=429)


@view_config(route_name="accounts.login", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def login(request):
    form = make_form(request, LoginSchema(), _("Sign in"),
                     action=request.route_path("accounts.login"))
    if request.method != "POST":
        came_from = request.params.get("came_from", "")
        return _login_page(request, form.render({"came_from": came_from}))
    try:
        data = validate(request, form)
    except ValidationFailure as e:
        return _login_page(request, e.render(), status=400)

    email = data["email"]
    address = request.client_addr or "unknown"
    by_account = get_rate_limiter(request, "login.account")
    by_address = get_rate_limiter(request, "login.address")
    if by_account.exceeded(request, email) or by_address.exceeded(request, address):
        audit(request, "login.failure", outcome="denied", detail={"reason": "throttled"})
        return _throttled(request, max(by_account.retry_after(request),
                                       by_address.retry_after(request)))

    user = user_by_email(request.dbsession, email)
    password = data["password"]
    if not verify_password(user.password_hash if user else None, password):
        by_account.hit(request, email)
        by_address.hit(request, address)
        audit(request, "login.failure", outcome="failure",
              actor_id=user.id if user else None, detail={"reason": "credentials"})
        form_html = form.render({"email": email, "came_from": data["came_from"]})
        return _login_page(request, form_html, BAD_CREDENTIALS, status=400)

    refused = complete_sign_in(request, user, "pwd", 1, password=password)
    if refused is not None:
        return refused
    by_account.clear(request, email)
    return HTTPSeeOther(safe_came_from(request, data["came_from"]))


def complete_sign_in(request, user, factor, level, password=None):
    """Sign ``user`` in after ``factor`` proved ``level`` (RFC 8176 amr value, 1-3).

    The one place every way of signing in ends: the password form, and an
    add-on's passkey or MyNumber card page. Returns None when signed in (the
    caller redirects), or the page that says why not (account pending or
    disabled: said only once the factor was right, so it reveals nothing).
    Rotates the session id, renews the CSRF token, records activity, audits.
    """
    if user.status == "pending":
        audit(request, "login.failure", outcome="denied", actor_id=user.id,
              detail={"reason": "pending", "factor": factor})
        return page(request, _("Please confirm your e-mail address first"), [
            _("Your account is not active yet. Please open the link in the mail we sent you "
              "when you registered. If you cannot find it, register again with the same "
              "address and we will send a new link."),
        ], status=403)
    if user.status != "active":
        audit(request, "login.failure", outcome="denied", actor_id=user.id,
              detail={"reason": user.status, "factor": factor})
        return page(request, _("This account is disabled"), [
            _("This account has been disabled. Please contact the city office."),
        ], status=403)
    if password is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    request.session.sign_in(user.id, factor, level)
    # A token planted before sign-in must not survive it (login CSRF / fixation).
    new_csrf_token(request)
    now = utcnow()
    user.last_login_at = now
    record_activity(request.dbsession, user.id, now)
    audit(request, "login.success", actor_id=user.id, target=f"user:{user.id}",
          detail={"factor": factor, "level": level})
    return None


@view_config(route_name="accounts.logout", request_method="POST",
             permission=NO_PERMISSION_REQUIRED)
def logout(request):
    user = request.user
    if user is not None:
        audit(request, "logout", actor_id=user.id, target=f"user:{user.id}")
    request.session.invalidate()
    new_csrf_token(request)
    return HTTPSeeOther(request.application_url + "/")
