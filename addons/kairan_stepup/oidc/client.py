"""The OpenID Connect relying party for the Digital Agency's authentication app.

authlib builds the authorisation request (PKCE S256, state, nonce,
``acr_values``) and exchanges the code at the token endpoint, over
``requests``: Kairan is a synchronous WSGI application, and authlib's
requests integration is its plain blocking client (httpx would bring an
async stack we do not use). The ID token is verified with joserfc, the JOSE
library authlib itself now uses and recommends over its deprecated
``authlib.jose``: signature with a key from the provider's JWKS, then each
claim checked here so that the audit log can say which one failed.

Discovery and JWKS documents are cached in the registry (one hour); an ID
token signed with a key id we do not know triggers one fresh JWKS fetch, so
the provider can roll its keys.
"""

import hashlib
import json
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kairan.i18n.translation import _
from kairan_stepup.jpki.services import Refused

CACHE_SECONDS = 3600
LEEWAY = 60  # seconds of clock difference tolerated on exp and iat
ALGORITHMS = ("RS256", "PS256", "ES256")

UNAVAILABLE = _("The Digital Agency's authentication app cannot be reached at the moment. "
                "Please try again later or use another method.")
NOT_CONFIRMED = _("The Digital Agency's authentication app could not confirm it is you. "
                  "Please start again.")


def _get_json(settings, url):
    response = requests.get(url, timeout=settings["kairan.stepup.oidc.timeout_seconds"])
    response.raise_for_status()
    return response.json()


def _cached(registry, key, load):
    cache = registry.setdefault("kairan_stepup.oidc_cache", {})
    entry = cache.get(key)
    if entry is None or entry[0] < time.monotonic():
        entry = (time.monotonic() + CACHE_SECONDS, load())
        cache[key] = entry
    return entry[1]


def forget_cache(registry):
    registry.pop("kairan_stepup.oidc_cache", None)


def metadata(registry):
    """The provider's discovery document; its ``issuer`` must be the configured one."""
    settings = registry.settings
    issuer = settings["kairan.stepup.oidc.issuer"]

    def load():
        found = _get_json(settings, issuer.rstrip("/") + "/.well-known/openid-configuration")
        if found.get("issuer") != issuer:
            raise ValueError("discovery document names another issuer")
        return found

    try:
        return _cached(registry, ("metadata", issuer), load)
    except (requests.RequestException, ValueError):
        raise Refused("discovery", UNAVAILABLE) from None


def _key_set(registry, uri, refresh=False):
    if refresh:
        registry.get("kairan_stepup.oidc_cache", {}).pop(("jwks", uri), None)
    return _cached(registry, ("jwks", uri),
                   lambda: KeySet.import_key_set(_get_json(registry.settings, uri)))


def _session(settings, meta=None):
    return OAuth2Session(
        client_id=settings["kairan.stepup.oidc.client_id"],
        client_secret=settings["kairan.stepup.oidc.client_secret"],
        scope=settings["kairan.stepup.oidc.scope"],
        redirect_uri=settings["kairan.stepup.oidc.redirect_uri"],
        code_challenge_method="S256",
        token_endpoint_auth_method=settings["kairan.stepup.oidc.token_endpoint_auth_method"],
    )


def authorization_url(registry, state, nonce, verifier):
    settings = registry.settings
    meta = metadata(registry)
    with _session(settings) as client:
        url, _state = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier,
            acr_values=settings["kairan.stepup.oidc.acr"])
    return url


def exchange_code(registry, code, verifier):
    """The token endpoint's answer (a dict with ``id_token``)."""
    settings = registry.settings
    meta = metadata(registry)
    try:
        with _session(settings) as client:
            token = client.fetch_token(
                meta["token_endpoint"], grant_type="authorization_code", code=code,
                code_verifier=verifier, timeout=settings["kairan.stepup.oidc.timeout_seconds"])
    except Exception as e:  # noqa: BLE001 - authlib raises its own and requests' errors
        raise Refused("token_endpoint", NOT_CONFIRMED) from e
    if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
        raise Refused("no_id_token", NOT_CONFIRMED)
    return token


def validate_id_token(registry, id_token, nonce, now=None):
    """The ID token's claims, once its signature, issuer, audience, times, nonce and
    ``acr`` are right; raises ``Refused`` naming the first that is not."""
    settings = registry.settings
    meta = metadata(registry)
    issuer, client_id = settings["kairan.stepup.oidc.issuer"], settings[
        "kairan.stepup.oidc.client_id"]
    try:
        try:
            token = jwt.decode(id_token, _key_set(registry, meta["jwks_uri"]), ALGORITHMS)
        except JoseError:
            # perhaps a key the provider has just rolled in: fetch the JWKS once more
            token = jwt.decode(id_token, _key_set(registry, meta["jwks_uri"], refresh=True),
                               ALGORITHMS)
    except (JoseError, ValueError, requests.RequestException):
        raise Refused("signature", NOT_CONFIRMED) from None
    claims = token.claims
    now = now or time.time()
    if claims.get("iss") != issuer:
        raise Refused("iss", NOT_CONFIRMED)
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise Refused("aud", NOT_CONFIRMED)
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise Refused("azp", NOT_CONFIRMED)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp < now - LEEWAY:
        raise Refused("exp", _("The confirmation from the authentication app has expired. "
                               "Please start again."))
    if not isinstance(iat, int | float) or iat > now + LEEWAY:
        raise Refused("iat", NOT_CONFIRMED)
    if claims.get("nonce") != nonce:
        raise Refused("nonce", NOT_CONFIRMED)
    if claims.get("acr") != settings["kairan.stepup.oidc.acr"]:
        raise Refused("acr", _(
            "The authentication app did not confirm it is you with your MyNumber card and "
            "its PIN, which this needs. Please try again and use your card in the app."))
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("sub", NOT_CONFIRMED)
    return claims


def binding_subject(issuer, sub):
    """sha256 of the issuer and ``sub``: what an account is bound to.

    ``sub`` is the provider's stable identifier for the resident at our
    service; we only ever compare it, so we keep a hash: a copy of our table
    then cannot be joined with the provider's records or another service's.
    """
    return hashlib.sha256(json.dumps([issuer, sub]).encode("utf-8")).hexdigest()
