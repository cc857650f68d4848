"""What the core and the settings page see of WebAuthn: two authenticators (``hwk``, a
security key at level 3; ``swk``, a synced passkey at level 2) and the factor kind
``webauthn`` that lists and removes the resident's keys."""

from sqlalchemy import delete
from zope.interface import implementer

from kairan.audit.services import audit
from kairan.i18n.translation import _
from kairan.security.interfaces import IAuthenticator
from kairan_stepup.factors import Factor
from kairan_stepup.interfaces import IFactorKind
from kairan_stepup.webauthn.models import WebAuthnCredential
from kairan_stepup.webauthn.services import credentials_of, is_security_key, stored_strength


def _credentials(request):
    """The signed-in user's credentials, read once per request."""
    user = request.user
    if user is None:
        return []
    cache = request.__dict__.setdefault("_kairan_webauthn_credentials", {})
    if user.id not in cache:
        cache[user.id] = credentials_of(request.dbsession, user.id)
    return cache[user.id]


class _WebAuthnAuthenticator:
    def __init__(self, level):
        self.level = level

    def start_url(self, request, came_from, level):
        return request.route_path("stepup.webauthn.stepup",
                                  _query={"kind": self.name, "came_from": came_from or "",
                                          "level": level})

    def enrol_url(self, request):
        return request.route_path("stepup.webauthn.keys")


@implementer(IAuthenticator)
class SecurityKeyAuthenticator(_WebAuthnAuthenticator):
    """A device-bound key (a FIDO security key, or a passkey that never leaves its
    device) that checks a PIN or a fingerprint: amr ``hwk``."""

    name = "hwk"
    title = _("Security key")
    description = _("Use a security key registered to your account (or a passkey kept only "
                    "on this device), with its PIN or fingerprint.")

    def is_available(self, request):
        return any(is_security_key(c) for c in _credentials(request))


@implementer(IAuthenticator)
class PasskeyAuthenticator(_WebAuthnAuthenticator):
    """A passkey that may be synced between devices: amr ``swk``. Also the sign-in
    page's passwordless way in, for every discoverable credential."""

    name = "swk"
    title = _("Passkey")
    description = _("Use a passkey saved on your phone or computer, or a security key, "
                    "with its screen lock, PIN or fingerprint.")

    def is_available(self, request):
        # a security key is offered as "hwk", which reaches this level too
        return any(not is_security_key(c) for c in _credentials(request))

    def sign_in_url(self, request, came_from):
        query = {"came_from": came_from} if came_from else {}
        return request.route_path("stepup.webauthn.signin", _query=query)


@implementer(IFactorKind)
class WebAuthnFactorKind:
    name = "webauthn"
    title = _("Security keys and passkeys")
    order = 20

    def factors(self, request, user):
        settings = request.registry.settings
        return [Factor(kind=self.name, id=str(c.id), nickname=c.nickname,
                       level=stored_strength(settings, c)[1], added=c.added,
                       last_used=c.last_used)
                for c in credentials_of(request.dbsession, user.id)]

    def add_url(self, request):
        return request.route_path("stepup.webauthn.keys")

    def remove(self, request, user, factor_id):
        try:
            credential_id = int(factor_id)
        except (TypeError, ValueError):
            return False
        row = request.dbsession.get(WebAuthnCredential, credential_id)
        if row is None or row.user_id != user.id:
            return False
        amr, level = stored_strength(request.registry.settings, row)
        request.dbsession.delete(row)
        request.dbsession.flush()
        request.__dict__.pop("_kairan_webauthn_credentials", None)
        audit(request, "stepup.webauthn.remove", target=f"user:{user.id}",
              detail={"credential": credential_id, "amr": amr, "level": level})
        return True

    def remove_all(self, request, user):
        result = request.dbsession.execute(
            delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id)
            .execution_options(synchronize_session=False))
        removed = result.rowcount or 0
        request.__dict__.pop("_kairan_webauthn_credentials", None)
        if removed:
            audit(request, "stepup.webauthn.remove_all", target=f"user:{user.id}",
                  detail={"count": removed})
        return removed
