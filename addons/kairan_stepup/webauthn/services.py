"""WebAuthn ceremonies on py_webauthn: the relying party from the settings, options,
verification, and the rule that turns a credential into an assurance level.

The relying party ID and the origin come from the settings (by default from
``kairan.base_url``), never from the request: a forged ``Host`` header changes
neither what the browser is asked for nor what is accepted.

Every challenge goes through ``kairan_stepup.challenges``: 256 bits, stored
server-side bound to the browser's session and a purpose, single-use,
expiring. The challenge is read back from the signed clientDataJSON and
consumed before anything else is checked, so a replayed, late or foreign
answer is refused even when its signature is good.
"""

import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from kairan.db.meta import utcnow
from kairan.i18n.translation import _
from kairan.settings import SettingsError
from kairan_stepup import challenges
from kairan_stepup.webauthn.models import WebAuthnCredential, WebAuthnUser


class _PyWebAuthn:
    """py_webauthn, imported on its first use: about 6 MB and 80 modules that a server
    process answering public pages never needs (peak memory is a target, see bench/)."""

    MODULES = ("webauthn", "webauthn.helpers", "webauthn.helpers.exceptions",
               "webauthn.helpers.structs")

    def __getattr__(self, name):
        import importlib

        for module_name in self.MODULES:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                value = getattr(module, name)
                setattr(self, name, value)
                return value
        raise AttributeError(name)


wa = _PyWebAuthn()

PREFIX = "kairan.stepup.webauthn."
DEFAULTS = {
    PREFIX + "rp_id": "",  # default: the host of kairan.base_url
    PREFIX + "rp_name": "",  # default: kairan.site_title
    PREFIX + "origin": "",  # default: the origin of kairan.base_url
    # the level a synced (backup-eligible) passkey proves, amr "swk"
    PREFIX + "synced_passkey_level": "2",
    # the level a device-bound key that verified the user (PIN, fingerprint) proves, amr "hwk"
    PREFIX + "hardware_key_level": "3",
}
LEVEL_KEYS = (PREFIX + "synced_passkey_level", PREFIX + "hardware_key_level")

PURPOSE_REGISTER = "webauthn.register"
PURPOSE_STEPUP = "webauthn.stepup"
PURPOSE_SIGNIN = "webauthn.signin"

MAX_CREDENTIALS = 20  # per account: enough for every key a household owns
NICKNAME_MAX = 60

# What a malformed answer from a browser may raise inside py_webauthn (bad base64,
# CBOR, JSON shapes): each means "refuse with 400", never a 500.
def malformed():
    return (wa.WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError)


def read_settings(config):
    """Fill in and check the relying party settings (called by ``includeme``)."""
    from kairan_stepup.settings import coerce

    settings = coerce(config, DEFAULTS, ints=LEVEL_KEYS)
    base = urlsplit(settings["kairan.base_url"])
    if not settings[PREFIX + "rp_id"]:
        settings[PREFIX + "rp_id"] = base.hostname or ""
    if not settings[PREFIX + "origin"]:
        settings[PREFIX + "origin"] = f"{base.scheme}://{base.netloc}"
    if not settings[PREFIX + "rp_name"]:
        settings[PREFIX + "rp_name"] = settings["kairan.site_title"]
    settings[PREFIX + "origin"] = settings[PREFIX + "origin"].rstrip("/")
    for key in LEVEL_KEYS:
        if settings[key] not in (1, 2, 3):
            raise SettingsError(f"{key} must be 1, 2 or 3, not {settings[key]!r}")
    # A browser only uses an RP ID that is the origin's host or a parent domain of it.
    rp_id = settings[PREFIX + "rp_id"].lower()
    host = (urlsplit(settings[PREFIX + "origin"]).hostname or "").lower()
    if not rp_id or not (host == rp_id or host.endswith("." + rp_id)):
        raise SettingsError(f"{PREFIX}rp_id ({rp_id!r}) must be the host of {PREFIX}origin "
                            f"({settings[PREFIX + 'origin']!r}) or a parent domain of it")
    settings[PREFIX + "rp_id"] = rp_id
    return settings


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


def relying_party(settings) -> RelyingParty:
    return RelyingParty(settings[PREFIX + "rp_id"], settings[PREFIX + "rp_name"],
                        settings[PREFIX + "origin"])


def strength(settings, backup_eligible, user_verified):
    """(amr, level) that a credential proves.

    A key that can be copied to other devices (backup-eligible: a synced
    passkey) is ``swk`` at ``synced_passkey_level``. A device-bound key is
    ``hwk``; with user verification (PIN or fingerprint) it proves
    ``hardware_key_level``, without it no more than a synced passkey.
    """
    synced = settings[PREFIX + "synced_passkey_level"]
    if backup_eligible:
        return "swk", synced
    if user_verified:
        return "hwk", settings[PREFIX + "hardware_key_level"]
    return "hwk", min(synced, settings[PREFIX + "hardware_key_level"])


def stored_strength(settings, credential):
    """What ``credential`` proves when used as it was registered."""
    return strength(settings, credential.backup_eligible, credential.user_verified)


def is_security_key(credential):
    """Device-bound and verified the user at registration: a level-3 (``hwk``) key."""
    return not credential.backup_eligible and credential.user_verified


class WebAuthnRefused(Exception):
    """A ceremony was refused. ``reason`` goes to the audit log (no key material);
    ``message`` is translatable for the resident."""

    def __init__(self, reason, message, status=400):
        super().__init__(reason)
        self.data = {}
        self.reason = reason
        self.message = message
        self.status = status


class CloneSuspected(WebAuthnRefused):
    """The signature was good but the sign count went backwards: a copied key?"""

    def __init__(self, credential, received):
        super().__init__("sign_count", _(
            "This key could not be accepted because its use counter went backwards, which "
            "can mean the key was copied. Please use another key, and contact the city "
            "office if this happens again."))
        self.credential = credential
        self.stored = credential.sign_count
        self.received = received


# -- storage -----------------------------------------------------------------------------


def credentials_of(dbsession, user_id):
    return list(dbsession.scalars(
        select(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id)
        .order_by(WebAuthnCredential.added, WebAuthnCredential.id)))


def credential_by_raw_id(dbsession, raw_id: bytes):
    return dbsession.scalar(
        select(WebAuthnCredential).where(WebAuthnCredential.credential_id == raw_id))


def user_handle(dbsession, user_id, create=False) -> bytes | None:
    row = dbsession.get(WebAuthnUser, user_id)
    if row is None and create:
        row = WebAuthnUser(user_id=user_id, handle=secrets.token_bytes(32), created=utcnow())
        dbsession.add(row)
        dbsession.flush()
    return row.handle if row is not None else None


def clean_nickname(value):
    """The nickname as stored, or raise ``WebAuthnRefused``."""
    nickname = " ".join(str(value or "").split())
    if not nickname:
        raise WebAuthnRefused("nickname", _("Please give the key a name, such as "
                                            "\"blue key\" or \"my phone\"."))
    if len(nickname) > NICKNAME_MAX:
        raise WebAuthnRefused("nickname", _("The name is too long: at most ${max} characters.",
                                            mapping={"max": NICKNAME_MAX}))
    return nickname


def _descriptor(credential):
    transports = []
    for value in credential.transports or ():
        try:
            transports.append(wa.AuthenticatorTransport(value))
        except ValueError:
            continue
    return wa.PublicKeyCredentialDescriptor(id=credential.credential_id,
                                         transports=transports or None)


def _timeout_ms(request):
    return request.registry.settings["kairan.stepup.challenge_seconds"] * 1000


# -- registration ------------------------------------------------------------------------


def registration_options(request, user, nickname) -> str:
    """The JSON options for ``navigator.credentials.create`` (a new challenge is stored)."""
    dbsession = request.dbsession
    existing = credentials_of(dbsession, user.id)
    if len(existing) >= MAX_CREDENTIALS:
        raise WebAuthnRefused("too_many", _(
            "You already have ${max} keys. Please remove one you no longer use first.",
            mapping={"max": MAX_CREDENTIALS}))
    rp = relying_party(request.registry.settings)
    handle = user_handle(dbsession, user.id, create=True)
    challenge = challenges.issue(request, PURPOSE_REGISTER, user_id=user.id,
                                 data={"nickname": nickname})
    options = wa.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=handle,
        user_name=user.email,
        user_display_name=user.display_name or user.email,
        challenge=challenge,
        timeout=_timeout_ms(request),
        attestation=wa.AttestationConveyancePreference.NONE,
        # discoverable where the key can, so it also signs in without a password
        authenticator_selection=wa.AuthenticatorSelectionCriteria(
            resident_key=wa.ResidentKeyRequirement.PREFERRED,
            user_verification=wa.UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(c) for c in existing],
    )
    return wa.options_to_json(options)


def _challenge_of(client_data_b64):
    try:
        return wa.parse_client_data_json(wa.base64url_to_bytes(client_data_b64)).challenge
    except malformed() as e:
        raise WebAuthnRefused("malformed", BAD_ANSWER) from e


BAD_ANSWER = _("The answer from your key could not be read. Please try again.")
NOT_VERIFIED = _("The answer from your key could not be verified. Please try again.")


def _consume(request, purpose, client_data_b64, user_id):
    challenge = _challenge_of(client_data_b64)
    try:
        row = challenges.consume(request, purpose, challenge)
    except challenges.ChallengeError as e:
        raise WebAuthnRefused("challenge_" + e.reason, e.message) from e
    if row.user_id != user_id:
        raise WebAuthnRefused("challenge_user", _("This request was started for another "
                                                  "account. Please start again."))
    return challenge, row


def finish_registration(request, user, payload) -> WebAuthnCredential:
    """Verify the answer of ``navigator.credentials.create`` and store the credential."""
    settings = request.registry.settings
    rp = relying_party(settings)
    try:
        credential = wa.parse_registration_credential_json(payload)
        client_data = payload["response"]["clientDataJSON"]
    except malformed() as e:
        raise WebAuthnRefused("malformed", BAD_ANSWER) from e
    challenge, challenge_row = _consume(request, PURPOSE_REGISTER, client_data, user.id)
    try:
        verified = wa.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, require_user_presence=True)
    except malformed() as e:
        raise WebAuthnRefused(f"invalid: {str(e)[:160]}", NOT_VERIFIED) from e
    if credential_by_raw_id(request.dbsession, verified.credential_id) is not None:
        raise WebAuthnRefused("duplicate", _("This key is already registered."))
    transports = [str(getattr(t, "value", t)) for t in (credential.response.transports or ())]
    row = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports[:10],
        nickname=challenge_row.data.get("nickname") or "?",
        backup_eligible=str(getattr(verified.credential_device_type, "value",
                                    verified.credential_device_type)) == "multi_device",
        backup_state=bool(verified.credential_backed_up),
        user_verified=bool(verified.user_verified),
        aaguid=verified.aaguid or "",
        added=utcnow(),
        last_used=None,
    )
    request.dbsession.add(row)
    request.dbsession.flush()
    return row


# -- assertions (step-up and sign-in) ----------------------------------------------------


def assertion_options(request, purpose, user=None, credentials=(), user_verification="required",
                      data=None) -> str:
    """The JSON options for ``navigator.credentials.get``; ``credentials`` empty asks for a
    discoverable credential (passwordless sign-in)."""
    rp = relying_party(request.registry.settings)
    challenge = challenges.issue(request, purpose, user_id=user.id if user else None,
                                 data=data or {})
    options = wa.generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=_timeout_ms(request),
        allow_credentials=[_descriptor(c) for c in credentials],
        user_verification=wa.UserVerificationRequirement(user_verification),
    )
    return wa.options_to_json(options)


@dataclass
class Assertion:
    credential: WebAuthnCredential
    amr: str
    level: int
    data: dict  # what the challenge was issued with


def verify_assertion(request, purpose, payload, user=None, require_user_verification=True):
    """Verify the answer of ``navigator.credentials.get``.

    With ``user`` (step-up) the credential must be one of theirs; without
    (passwordless sign-in) the credential's owner is the account, and the
    authenticator's user handle must be that owner's. ``require_user_verification``
    is a bool, or a function of the challenge's data returning one. Updates the
    sign count and last use; raises ``WebAuthnRefused`` (``CloneSuspected`` when
    the signature is good but the counter went backwards).
    """
    settings = request.registry.settings
    rp = relying_party(settings)
    try:
        credential = wa.parse_authentication_credential_json(payload)
        client_data = payload["response"]["clientDataJSON"]
    except malformed() as e:
        raise WebAuthnRefused("malformed", BAD_ANSWER) from e
    challenge, challenge_row = _consume(request, purpose, client_data,
                                        user.id if user else None)
    data = dict(challenge_row.data or {})
    if callable(require_user_verification):
        require_user_verification = require_user_verification(data)
    try:
        return _check_assertion(request, settings, rp, credential, challenge, data, user,
                                require_user_verification)
    except WebAuthnRefused as e:
        e.data = data  # the ceremony's purpose and kind, for the audit entry
        raise


def _check_assertion(request, settings, rp, credential, challenge, data, user,
                     require_user_verification):
    stored = credential_by_raw_id(request.dbsession, credential.raw_id)
    if stored is None or (user is not None and stored.user_id != user.id):
        # the same answer for "unknown" and "someone else's": nothing to learn from it
        raise WebAuthnRefused("unknown_credential" if stored is None else "other_user",
                              _("This key is not registered to your account."))
    if user is None:
        handle = user_handle(request.dbsession, stored.user_id)
        if not credential.response.user_handle or credential.response.user_handle != handle:
            raise WebAuthnRefused("user_handle", _("This key is not registered to your "
                                                   "account."))
    try:
        # Our own sign-count check follows, once the signature is known to be good:
        # a bad signature is a plain failure, a good one with a lower count a clone.
        verified = wa.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin, credential_public_key=stored.public_key,
            credential_current_sign_count=0,
            require_user_verification=bool(require_user_verification))
    except malformed() as e:
        raise WebAuthnRefused(f"invalid: {str(e)[:160]}", NOT_VERIFIED) from e
    received = verified.new_sign_count
    if received or stored.sign_count:
        # One conditional UPDATE: of two answers carrying the same count (a key and
        # its copy, at the same moment), exactly one moves the counter.
        moved = request.dbsession.execute(
            update(WebAuthnCredential)
            .where(WebAuthnCredential.id == stored.id, WebAuthnCredential.sign_count < received)
            .values(sign_count=received)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise CloneSuspected(stored, received)
        set_committed_value(stored, "sign_count", received)
    stored.backup_state = bool(verified.credential_backed_up)
    stored.last_used = utcnow()
    backup_eligible = stored.backup_eligible or str(getattr(
        verified.credential_device_type, "value", verified.credential_device_type)) \
        == "multi_device"
    amr, level = strength(settings, backup_eligible, bool(verified.user_verified))
    return Assertion(stored, amr, level, data)


def options_response(request, options_json):
    from pyramid.response import Response

    return Response(body=options_json.encode("utf-8"), content_type="application/json",
                    charset="utf-8")


def json_payload(request):
    """The request's JSON object, or raise ``WebAuthnRefused``."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise WebAuthnRefused("malformed", BAD_ANSWER) from e
    if not isinstance(body, dict):
        raise WebAuthnRefused("malformed", BAD_ANSWER)
    return body
