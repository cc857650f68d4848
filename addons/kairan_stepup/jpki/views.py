"""The MyNumber page (every provider) and the card-reader app's challenge and answer.

Without JavaScript: the resident presses "create a sign-in request" (a
POST, since it stores a challenge), copies the line shown into the
card-reader app, and pastes the app's answer or uploads its certificate
file. The same two URLs answer JSON for an app that posts itself, with the
CSRF token in ``X-CSRF-Token`` like any script of ours.
"""

import hashlib
import json
from datetime import datetime

from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from kairan.accounts.views.common import PAGE
from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.security.assurance import wants_json
from kairan.security.ratelimit import get_rate_limiter
from kairan_stepup import challenges
from kairan_stepup.jpki.services import (
    Refused,
    bindings_of,
    enabled_providers,
    finish,
    mode_of,
    precondition,
    refuse,
)
from kairan_stepup.jpki.verify import (
    MAX_FIELD,
    CardRefused,
    challenge_text,
    origin_of,
    parse_challenge,
    parse_response,
    verify_card,
)

CHOOSE = "kairan_stepup:templates/jpki/choose.pt"
CARD = "kairan_stepup:templates/jpki/card.pt"
PURPOSE = "jpki.{mode}"

MODE_TITLES = {
    "signin": _("Sign in with your MyNumber card"),
    "stepup": _("Confirm it is you with your MyNumber card"),
    "enrol": _("Link your MyNumber card"),
}
BAD_MODE = _("This page was opened with an incomplete address. Please start again.")


def our_origin(request):
    return origin_of(request.registry.settings["kairan.base_url"])


@view_config(route_name="mynumber", request_method="GET", renderer=CHOOSE,
             permission=NO_PERMISSION_REQUIRED)
def choose(request):
    """Every enabled provider, for signing in, stepping up or linking a card."""
    mode = mode_of(request.params.get("mode")) or "signin"
    came_from = request.params.get("came_from", "")
    blocked = precondition(request, mode, came_from)
    if blocked is not None:
        return blocked
    offered = enabled_providers(request)
    if mode == "stepup":
        linked = {b.provider for b in bindings_of(request.dbsession, request.user.id)}
        offered = [p for p in offered if p.name in linked]
    translate = request.localizer.translate
    return {
        "page_title": translate(MODE_TITLES[mode]),
        "mode": mode,
        "came_from": came_from,
        "providers": [{"title": translate(p.title), "description": translate(p.description),
                       "url": p.start_url(request), "name": p.name} for p in offered],
    }


def _json_error(request, message, reason, status=400):
    body = {"error": reason, "message": request.localizer.translate(message)}
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json", charset="utf-8")


def _card_page(request, mode, came_from, challenge=None, error=None, status=None):
    translate = request.localizer.translate
    if status is not None:
        request.response.status_int = status
    return {
        "page_title": translate(MODE_TITLES.get(mode, MODE_TITLES["signin"])),
        "mode": mode or "signin",
        "came_from": came_from,
        "challenge": challenge,
        "error": translate(error) if error is not None else None,
        "verify_url": request.route_path("jpki.verify"),
        "start_url": request.route_path("jpki.challenge"),
        "max_minutes": request.registry.settings["kairan.stepup.challenge_seconds"] // 60,
    }


def _params(request):
    """Form fields, or the JSON body's fields; None when a JSON body is unreadable."""
    if request.content_type == "application/json":
        try:
            body = request.json_body
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return {k: v for k, v in body.items() if isinstance(v, str)}
    return request.POST


@view_config(route_name="jpki.challenge", request_method="POST", renderer=CARD,
             permission=NO_PERMISSION_REQUIRED)
def card_challenge(request):
    """Issue a challenge for the card to sign, in the mode the resident chose."""
    is_json = request.content_type == "application/json" or wants_json(request)
    params = _params(request)
    mode = mode_of((params or {}).get("mode"))
    came_from = (params or {}).get("came_from", "")[:500]
    if mode is None:
        if is_json:
            return _json_error(request, BAD_MODE, "mode")
        return _card_page(request, None, came_from, error=BAD_MODE, status=400)
    blocked = precondition(request, mode, came_from)
    if blocked is not None:
        return blocked
    now = utcnow().replace(microsecond=0)
    origin = our_origin(request)
    user_id = request.user.id if request.user is not None and mode != "signin" else None
    nonce = challenges.issue(request, PURPOSE.format(mode=mode), user_id=user_id, data={
        "origin": origin, "time": now.isoformat(), "came_from": came_from})
    text = challenge_text(origin, nonce, now)
    if is_json:
        body = {"challenge": text, "mode": mode,
                "expires_in": request.registry.settings["kairan.stepup.challenge_seconds"]}
        return Response(json.dumps(body), content_type="application/json", charset="utf-8")
    return _card_page(request, mode, came_from, challenge=text)


def _upload(request, name):
    field = request.POST.get(name) if request.content_type != "application/json" else None
    if field is None or not hasattr(field, "file"):
        return b""
    return field.file.read(MAX_FIELD + 1)


def _consume(request, parsed):
    """The challenge row for ``parsed``, used once; raises ChallengeError or CardRefused."""
    row = request.dbsession.get(challenges.Challenge,
                                hashlib.sha256(parsed.nonce).hexdigest())
    purpose = row.purpose if row is not None else PURPOSE.format(mode="signin")
    if not purpose.startswith("jpki."):
        raise CardRefused("purpose", BAD_MODE)
    row = challenges.consume(request, purpose, parsed.nonce)
    issued = datetime.fromisoformat(row.data["time"])
    if challenge_text(row.data["origin"], parsed.nonce, issued) != parsed.text:
        raise CardRefused("mismatch", _(
            "The response does not answer the sign-in request shown on this page. Please "
            "start again."))
    return row


THROTTLED = _("There have been too many sign-in attempts. For your security, signing in is "
              "paused. Please try again later.")


@view_config(route_name="jpki.verify", request_method="POST", renderer=CARD,
             permission=NO_PERMISSION_REQUIRED)
def card_verify(request):
    """Check the card's answer, then sign in, step up or link the card."""
    is_json = request.content_type == "application/json"
    params = _params(request)
    form_mode = mode_of((params or {}).get("mode"))
    came_from = (params or {}).get("came_from", "")[:500]
    mode = None
    # failed answers count against the address, like failed passwords: each costs a
    # challenge already, and this stops one address from trying cards without end
    by_address = get_rate_limiter(request, "login.address")
    address = request.client_addr or "unknown"
    if by_address.exceeded(request, address):
        refuse(request, "jpki", form_mode, Refused("throttled", THROTTLED))
        retry_after = str(int(by_address.retry_after(request)))
        if is_json:
            response = _json_error(request, THROTTLED, "throttled", status=429)
            response.headers["Retry-After"] = retry_after
            return response
        request.response.headers["Retry-After"] = retry_after
        return _card_page(request, form_mode, came_from, error=THROTTLED, status=429)
    try:
        if params is None:
            raise CardRefused("malformed", BAD_MODE)
        answer = parse_response(params.get("response", ""), params.get("signature", ""),
                                params.get("certificate", "") or _upload(request,
                                                                           "certificate_file"))
        parsed = parse_challenge(answer.challenge or params.get("challenge", ""))
        if parsed.origin != our_origin(request):
            raise CardRefused("origin", _(
                "This response was made for another website (${origin}), not this one. "
                "Please sign the request shown on this page.", mapping={"origin": parsed.origin}))
        row = _consume(request, parsed)
        mode = row.purpose.split(".", 1)[1]
        came_from = row.data.get("came_from", "")
        if mode != "signin" and (request.user is None or request.user.id != row.user_id):
            raise Refused("signed_out", _("You were signed out while using your card. Please "
                                          "sign in and try again."))
        card = verify_card(request, parsed.text.encode("ascii"), answer.signature,
                           answer.certificate)
        result = finish(request, "jpki", mode, came_from, card.subject,
                        valid_until=card.not_after)
    except (Refused, CardRefused, challenges.ChallengeError) as refused:
        by_address.hit(request, address)
        refuse(request, "jpki", mode or form_mode, refused)
        if is_json:
            return _json_error(request, refused.message, refused.reason)
        return _card_page(request, mode or form_mode, came_from, error=refused.message,
                          status=400)
    if isinstance(result, dict):  # complete_sign_in's page: account pending or disabled
        if is_json:
            return _json_error(request, result["page_title"], "account",
                               status=request.response.status_int)
        return render_to_response(PAGE, result, request=request, response=request.response)
    if is_json:
        return Response(json.dumps({"status": "ok", "location": result.location}),
                        content_type="application/json", charset="utf-8")
    return result
