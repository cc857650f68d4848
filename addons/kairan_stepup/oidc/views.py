"""Start the Digital Agency's authentication app and take its answer.

The start is a POST (from the MyNumber page) that keeps state, nonce and the
PKCE verifier in the server-side session and sends the browser to the
provider; the callback takes them out again (once) and finishes like the
card-reader route does.
"""

import secrets
from datetime import datetime, timedelta

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.views.common import PAGE, page
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan_stepup.jpki.services import Refused, finish, mode_of, precondition, refuse


def _client():
    """The OpenID Connect client, imported on first use: authlib, requests and joserfc
    cost about 9 MB and 250 modules, and the route is off unless an issuer is set."""
    from kairan_stepup.oidc import client

    return client

SESSION_KEY = "kairan_stepup.oidc"
MAX_PENDING = 3  # flows started in other tabs that may still come back


def enabled(request):
    return bool(request.registry.settings["kairan.stepup.oidc.issuer"])


def _refused_page(request, message, mode, came_from, status=400):
    value = page(request, _("The authentication app could not confirm it is you"), [message],
                 links=[(request.route_path("mynumber", _query={"mode": mode or "signin",
                                                                 "came_from": came_from}),
                         _("Start again"))], status=status)
    return render_to_response(PAGE, value, request=request, response=request.response)


@view_config(route_name="oidc.start", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def start(request):
    if not enabled(request):
        raise HTTPNotFound()
    mode = mode_of(request.POST.get("mode"))
    came_from = request.POST.get("came_from", "")[:500]
    if mode is None:
        return _refused_page(request, _("This page was opened with an incomplete address. "
                                        "Please start again."), None, came_from)
    blocked = precondition(request, mode, came_from)
    if blocked is not None:
        return blocked
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    try:
        url = _client().authorization_url(request.registry, state, nonce, verifier)
    except Refused as refused:
        refuse(request, "oidc", mode, refused)
        return _refused_page(request, refused.message, mode, came_from, status=503)
    pending = dict(request.session.get(SESSION_KEY, {}))
    while len(pending) >= MAX_PENDING:
        pending.pop(min(pending, key=lambda k: pending[k]["created"]))
    pending[state] = {
        "nonce": nonce, "verifier": verifier, "mode": mode, "came_from": came_from,
        "user_id": request.user.id if request.user is not None else None,
        "created": utcnow().isoformat(),
    }
    request.session[SESSION_KEY] = pending
    return HTTPSeeOther(url)


@view_config(route_name="oidc.callback", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def callback(request):
    state = request.GET.get("state")
    if not enabled(request):
        raise HTTPNotFound()
    if not state:
        # not an answer to any request of ours: nothing to audit, nothing changed
        return _refused_page(request, _("This page was opened with an incomplete address. "
                                        "Please start again."), None, "")
    pending = dict(request.session.get(SESSION_KEY, {}))
    flow = pending.pop(state, None)
    mode, came_from = (flow or {}).get("mode"), (flow or {}).get("came_from", "")
    try:
        if flow is None:
            raise Refused("state", _("This answer from the authentication app does not match "
                                     "a sign-in started in this browser. Please start again."))
        request.session[SESSION_KEY] = pending  # used once, whatever happens next
        age = utcnow() - datetime.fromisoformat(flow["created"])
        limit = request.registry.settings["kairan.stepup.challenge_seconds"]
        if age > timedelta(seconds=limit):
            raise Refused("expired", _("This sign-in request has expired. Please start "
                                       "again."))
        if request.GET.get("error"):
            raise Refused("provider_error", _(
                "The authentication app did not confirm it is you (it was cancelled or "
                "refused). Please start again."))
        code = request.GET.get("code")
        if not code:
            raise Refused("no_code", _("This page was opened with an incomplete address. "
                                       "Please start again."))
        if mode != "signin" and (request.user is None or request.user.id != flow["user_id"]):
            raise Refused("signed_out", _("You were signed out while using the app. Please "
                                          "sign in and try again."))
        token = _client().exchange_code(request.registry, code, flow["verifier"])
        claims = _client().validate_id_token(request.registry, token["id_token"], flow["nonce"])
        subject = _client().binding_subject(claims["iss"], claims["sub"])
        result = finish(request, "oidc", mode, came_from, subject)
    except Refused as refused:
        refuse(request, "oidc", mode, refused)
        return _refused_page(request, refused.message, mode, came_from)
    if isinstance(result, dict):  # complete_sign_in's page: account pending or disabled
        return render_to_response(PAGE, result, request=request, response=request.response)
    return result
