"""Pages and JSON endpoints: register keys, step up with one, sign in with a passkey.

Each ceremony is a page (which works as a page without JavaScript and says
what to do instead) plus two JSON endpoints that ``static/webauthn.js`` calls
with the ``X-CSRF-Token`` header: ``options`` stores a challenge and returns
what ``navigator.credentials`` needs; the second verifies the answer. Issuing
a challenge writes, so it is a POST, never a GET.
"""

from urllib.parse import urlsplit

from pyramid.csrf import get_csrf_token
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.links import account_links
from kairan.accounts.models import User
from kairan.accounts.views.common import PAGE, page
from kairan.accounts.views.signin import complete_sign_in
from kairan.audit.services import audit
from kairan.content.views.common import format_datetime
from kairan.i18n.translation import _
from kairan.security.assurance import (
    complete_step_up,
    insufficient_assurance,
    safe_came_from,
)
from kairan.security.permissions import Permission
from kairan.security.ratelimit import get_rate_limiter
from kairan_stepup.factors import all_factors
from kairan_stepup.webauthn import services
from kairan_stepup.webauthn.services import (
    PURPOSE_SIGNIN,
    PURPOSE_STEPUP,
    CloneSuspected,
    WebAuthnRefused,
)

TEMPLATES = "kairan_stepup:templates/webauthn/"
KINDS = ("hwk", "swk")
# Adding a key to an account that already has second factors needs the strongest
# of them proven within this many seconds: a stolen password alone must not be
# enough to add the thief's own key.
ENROL_MAX_AGE = 900


def _path(url):
    """The path and query of an absolute URL (what the script navigates to)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _error(request, refused: WebAuthnRefused):
    request.response.status_int = refused.status
    return {"message": request.localizer.translate(refused.message)}


def _clone_warning(request, refused: CloneSuspected, purpose):
    # In the request's own transaction, which commits: a refusal here is an
    # answer (400), not an exception, so the used challenge and this warning are
    # kept together. (audit_now would wait on this request's own write lock on
    # SQLite and lose the entry.)
    audit(request, "stepup.webauthn.clone_warning",
              target=f"user:{refused.credential.user_id}", outcome="denied",
              detail={"credential": refused.credential.id, "purpose": purpose,
                      "stored_count": refused.stored, "received_count": refused.received})


def _script(request):
    return request.static_path("kairan_stepup.webauthn:static/webauthn.js")


def enrolment_level(request, user):
    """The level (and freshness) adding a key needs: the strongest factor already held."""
    levels = [factor.level for factor in all_factors(request, user)]
    needed = max(levels, default=1)
    return needed, (ENROL_MAX_AGE if needed > 1 else None)


def _may_enrol(request):
    needed, max_age = enrolment_level(request, request.user)
    if request.assurance.satisfies(needed, max_age):
        return None
    return insufficient_assurance(request, needed, max_age)


# -- registering keys --------------------------------------------------------------------


def _kind_title(request, credential):
    if services.is_security_key(credential):
        return _("Security key")
    if credential.backup_eligible:
        return _("Passkey (synced)")
    return _("Security key without PIN")


@view_config(route_name="stepup.webauthn.keys", request_method="GET",
             renderer=TEMPLATES + "keys.pt", permission=Permission.MEMBER)
def keys(request):
    # Viewing is free; adding first asks for the strongest factor already held.
    needed, max_age = enrolment_level(request, request.user)
    may_add = request.assurance.satisfies(needed, max_age)
    query = {"level": needed, "came_from": request.route_path("stepup.webauthn.keys")}
    if max_age:
        query["max_age"] = max_age
    translate = request.localizer.translate
    settings = request.registry.settings
    rows = []
    for credential in services.credentials_of(request.dbsession, request.user.id):
        rows.append({
            "nickname": credential.nickname,
            "kind": translate(_kind_title(request, credential)),
            "level": services.stored_strength(settings, credential)[1],
            "added": format_datetime(credential.added, request.locale_name),
            "last_used": format_datetime(credential.last_used, request.locale_name),
        })
    return {
        "page_title": translate(_("Security keys and passkeys")),
        "credentials": rows,
        "may_add": may_add,
        "confirm_url": request.route_path("security.stepup", _query=query),
        "max_nickname": services.NICKNAME_MAX,
        "csrf_token": get_csrf_token(request),
        "options_url": request.route_path("stepup.webauthn.register_options"),
        "verify_url": request.route_path("stepup.webauthn.register"),
        "script_url": _script(request),
        "account_links": [(url, translate(title)) for url, title in account_links(request)],
        "hardware_level": settings[services.PREFIX + "hardware_key_level"],
        "synced_level": settings[services.PREFIX + "synced_passkey_level"],
    }


@view_config(route_name="stepup.webauthn.register_options", request_method="POST",
             renderer="json", permission=Permission.MEMBER)
def register_options(request):
    refused = _may_enrol(request)
    if refused is not None:
        return refused
    try:
        body = services.json_payload(request)
        nickname = services.clean_nickname(body.get("nickname"))
        return services.options_response(
            request, services.registration_options(request, request.user, nickname))
    except WebAuthnRefused as e:
        return _error(request, e)


@view_config(route_name="stepup.webauthn.register", request_method="POST", renderer="json",
             permission=Permission.MEMBER)
def register(request):
    refused = _may_enrol(request)
    if refused is not None:
        return refused
    user = request.user
    try:
        body = services.json_payload(request)
        credential = services.finish_registration(request, user, body.get("credential"))
    except WebAuthnRefused as e:
        audit(request, "stepup.webauthn.register", target=f"user:{user.id}",
              outcome="failure", detail={"reason": e.reason})
        return _error(request, e)
    amr, level = services.stored_strength(request.registry.settings, credential)
    audit(request, "stepup.webauthn.register", target=f"user:{user.id}",
          detail={"credential": credential.id, "amr": amr, "level": level,
                  "backup_eligible": credential.backup_eligible,
                  "user_verified": credential.user_verified, "aaguid": credential.aaguid})
    request.session.flash(request.localizer.translate(_(
        "The key \"${name}\" has been registered. It counts as sign-in level ${level}.",
        mapping={"name": credential.nickname, "level": level})))
    return {"redirect": request.route_path("stepup.webauthn.keys")}


# -- step-up -----------------------------------------------------------------------------


def _bad_request_page(request, message):
    return render_page(request, _("This link is not valid"), [message], status=400)


def render_page(request, title, paragraphs, status=None, links=()):
    from pyramid.renderers import render_to_response

    values = page(request, title, paragraphs, links=links, status=status)
    return render_to_response(PAGE, values, request=request, response=request.response)


def _step_up_credentials(request, kind):
    credentials = services.credentials_of(request.dbsession, request.user.id)
    if kind == "hwk":
        return [c for c in credentials if services.is_security_key(c)]
    return credentials


@view_config(route_name="stepup.webauthn.stepup", request_method="GET",
             renderer=TEMPLATES + "stepup.pt", permission=Permission.MEMBER)
def stepup(request):
    kind = request.params.get("kind", "")
    if kind not in KINDS:
        return _bad_request_page(request, _("Please choose a way to confirm it is you from "
                                            "the list."))
    try:
        level = int(request.params.get("level", "0"))
    except ValueError:
        level = 0
    came_from = request.params.get("came_from", "")
    translate = request.localizer.translate
    query = {"came_from": came_from}
    if level in (1, 2, 3):
        query["level"] = level
    return {
        "page_title": translate(_("Confirm with your security key") if kind == "hwk"
                                else _("Confirm with your passkey")),
        "kind": kind,
        "has_credentials": bool(_step_up_credentials(request, kind)),
        "came_from": came_from,
        "csrf_token": get_csrf_token(request),
        "options_url": request.route_path("stepup.webauthn.stepup_options"),
        "verify_url": request.route_path("stepup.webauthn.stepup_verify"),
        "other_ways_url": request.route_path("security.stepup", _query=query),
        "keys_url": request.route_path("stepup.webauthn.keys"),
        "script_url": _script(request),
    }


@view_config(route_name="stepup.webauthn.stepup_options", request_method="POST",
             renderer="json", permission=Permission.MEMBER)
def stepup_options(request):
    try:
        body = services.json_payload(request)
        kind = body.get("kind")
        if kind not in KINDS:
            raise WebAuthnRefused("kind", _("Please choose a way to confirm it is you from "
                                            "the list."))
        credentials = _step_up_credentials(request, kind)
        if not credentials:
            raise WebAuthnRefused("no_credentials", _(
                "No security key of this kind is registered to your account."))
        came_from = body.get("came_from")
        options = services.assertion_options(
            request, PURPOSE_STEPUP, user=request.user, credentials=credentials,
            # a level-3 key must check its PIN or fingerprint every time
            user_verification="required" if kind == "hwk" else "preferred",
            data={"kind": kind, "came_from": came_from if isinstance(came_from, str) else ""})
        return services.options_response(request, options)
    except WebAuthnRefused as e:
        return _error(request, e)


@view_config(route_name="stepup.webauthn.stepup_verify", request_method="POST",
             renderer="json", permission=Permission.MEMBER)
def stepup_verify(request):
    user = request.user
    kind = "webauthn"
    try:
        body = services.json_payload(request)
        # the kind asked for is kept with the challenge: a level-3 key must have
        # checked its PIN or fingerprint this time, whatever the browser was told
        assertion = services.verify_assertion(
            request, PURPOSE_STEPUP, body.get("credential"), user=user,
            require_user_verification=lambda data: data.get("kind") == "hwk")
        kind = assertion.data.get("kind", "swk")
        if kind == "hwk" and not services.is_security_key(assertion.credential):
            raise WebAuthnRefused("not_a_security_key", _(
                "This key is not registered as a security key. Please use your security "
                "key."))
    except WebAuthnRefused as e:
        kind = e.data.get("kind", kind)
        if isinstance(e, CloneSuspected):
            _clone_warning(request, e, PURPOSE_STEPUP)
        audit(request, "security.stepup", target=f"user:{user.id}", outcome="failure",
              detail={"factor": kind, "reason": e.reason})
        return _error(request, e)
    audit(request, "stepup.webauthn.use", target=f"user:{user.id}",
          detail={"credential": assertion.credential.id, "purpose": "stepup",
                  "amr": assertion.amr, "level": assertion.level})
    response = complete_step_up(request, assertion.amr, assertion.level,
                                assertion.data.get("came_from"))
    return {"redirect": _path(response.location), "level": assertion.level}


# -- passwordless sign-in ----------------------------------------------------------------


@view_config(route_name="stepup.webauthn.signin", request_method="GET",
             renderer=TEMPLATES + "signin.pt", permission=NO_PERMISSION_REQUIRED)
def signin(request):
    came_from = request.params.get("came_from", "")
    return {
        "page_title": request.localizer.translate(_("Sign in with a passkey")),
        "came_from": came_from,
        "csrf_token": get_csrf_token(request),
        "options_url": request.route_path("stepup.webauthn.signin_options"),
        "verify_url": request.route_path("stepup.webauthn.signin_verify"),
        "password_url": request.route_path("accounts.login",
                                           _query={"came_from": came_from} if came_from
                                           else {}),
        "script_url": _script(request),
    }


def _throttled(request, limiter):
    request.response.status_int = 429
    request.response.headers["Retry-After"] = str(int(limiter.retry_after(request)))
    audit(request, "login.failure", outcome="denied",
          detail={"reason": "throttled", "factor": "webauthn"})
    return {"message": request.localizer.translate(_(
        "There have been too many sign-in attempts. For your security, signing in is paused. "
        "Please try again later."))}


@view_config(route_name="stepup.webauthn.signin_options", request_method="POST",
             renderer="json", permission=NO_PERMISSION_REQUIRED)
def signin_options(request):
    limiter = get_rate_limiter(request, "login.address")
    if limiter.exceeded(request, request.client_addr or "unknown"):
        return _throttled(request, limiter)
    try:
        body = services.json_payload(request)
        came_from = body.get("came_from")
        options = services.assertion_options(
            request, PURPOSE_SIGNIN, user_verification="required",
            data={"came_from": came_from if isinstance(came_from, str) else ""})
        return services.options_response(request, options)
    except WebAuthnRefused as e:
        return _error(request, e)


@view_config(route_name="stepup.webauthn.signin_verify", request_method="POST",
             renderer="json", permission=NO_PERMISSION_REQUIRED)
def signin_verify(request):
    limiter = get_rate_limiter(request, "login.address")
    address = request.client_addr or "unknown"
    if limiter.exceeded(request, address):
        return _throttled(request, limiter)
    try:
        body = services.json_payload(request)
        # a passkey alone signs in: it must have checked the resident (PIN, biometrics)
        assertion = services.verify_assertion(request, PURPOSE_SIGNIN, body.get("credential"),
                                              require_user_verification=True)
    except WebAuthnRefused as e:
        limiter.hit(request, address)
        if isinstance(e, CloneSuspected):
            _clone_warning(request, e, PURPOSE_SIGNIN)
        owner = e.credential.user_id if isinstance(e, CloneSuspected) else None
        audit(request, "login.failure", outcome="failure", actor_id=owner,
              detail={"reason": e.reason, "factor": "webauthn"})
        return _error(request, e)
    user = request.dbsession.get(User, assertion.credential.user_id)
    audit(request, "stepup.webauthn.use", actor_id=user.id, target=f"user:{user.id}",
          detail={"credential": assertion.credential.id, "purpose": "signin",
                  "amr": assertion.amr, "level": assertion.level})
    refused = complete_sign_in(request, user, assertion.amr, assertion.level)
    if refused is not None:
        # pending or disabled: said only now that the key was right
        request.response.status_int = 403
        return {"message": " ".join([refused["page_title"], *refused["paragraphs"]])}
    return {"redirect": _path(safe_came_from(request, assertion.data.get("came_from"))),
            "level": assertion.level}
