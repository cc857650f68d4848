"""Checking a MyNumber card's answer to a challenge.

The challenge is one line of ASCII, the exact bytes the card signs::

    kairan-jpki-v1 origin=https://city.example.jp nonce=<43 chars> time=2025-04-01T09:30:00Z

The origin comes from ``kairan.base_url`` (never the Host header), so a
signature made for another site, even one running Kairan, is refused here;
the nonce is a single-use challenge from ``kairan_stepup.challenges``; the
time is when it was issued.

The chain is checked with ``cryptography.x509.verification`` (path building,
validity of every certificate at the time of use, signatures, basic
constraints), with extension policies of our own instead of the Web PKI
defaults: those expect TLS-server shapes (subjectAltName, extended key
usage, authority key identifiers everywhere) that J-LIS's user certificates
are not required to have. What we require is what the JPKI profile does
guarantee: a CA is a CA (basicConstraints cA, keyUsage keyCertSign) and the
user certificate may sign (keyUsage digitalSignature). Revocation, which the
library does not check, goes through an ``IRevocationChecker``.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from kairan.i18n.translation import _
from kairan_stepup.challenges import b64url, b64url_decode
from kairan_stepup.jpki.revocation import FileCache, Revoked, StatusUnknown, revocation_checker

VERSION = "kairan-jpki-v1"
CHALLENGE_RE = re.compile(
    r"^kairan-jpki-v1 origin=(?P<origin>\S{1,200}) nonce=(?P<nonce>[A-Za-z0-9_-]{43}) "
    r"time=(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$")
MAX_FIELD = 16_384  # a card certificate is about 1.5 KB; a signature 256 bytes


class CardRefused(Exception):
    """Why a card's answer was refused: ``reason`` for the audit log, ``message`` for the
    resident (translatable)."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message


MALFORMED = _("The response could not be read. Please copy the whole response from the "
              "card-reader app and paste it again.")


def origin_of(base_url):
    """``https://city.example.jp`` from ``https://city.example.jp/portal``."""
    match = re.match(r"^(https?://[^/]+)", base_url)
    return match.group(1).lower() if match else base_url


def challenge_text(origin, nonce: bytes, issued: datetime) -> str:
    issued = issued.astimezone(UTC)
    return f"{VERSION} origin={origin} nonce={b64url(nonce)} time={issued:%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class Challenge:
    text: str
    origin: str
    nonce: bytes


def parse_challenge(text) -> Challenge:
    text = (text or "").strip()
    match = CHALLENGE_RE.match(text)
    if match is None:
        raise CardRefused("malformed", MALFORMED)
    return Challenge(text=text, origin=match["origin"], nonce=b64url_decode(match["nonce"]))


def _decode_base64(text):
    cleaned = re.sub(r"\s+", "", text or "")
    if not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", cleaned):
        raise CardRefused("malformed", MALFORMED)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        try:
            return b64url_decode(cleaned)
        except (binascii.Error, ValueError):
            raise CardRefused("malformed", MALFORMED) from None


def load_user_certificate(data: bytes) -> x509.Certificate:
    """A certificate in PEM, DER, or base64 of DER."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        if data[:1] == b"\x30":
            return x509.load_der_x509_certificate(data)
        return x509.load_der_x509_certificate(_decode_base64(data.decode("ascii")))
    except (ValueError, UnicodeDecodeError):
        raise CardRefused("malformed", MALFORMED) from None


@dataclass(frozen=True)
class CardResponse:
    challenge: str | None  # the challenge the app says it signed, if it said
    signature: bytes
    certificate: x509.Certificate


def parse_response(response="", signature="", certificate=b"") -> CardResponse:
    """Read what the resident pasted or uploaded: the app's JSON ``response``, or a
    base64 ``signature`` and a ``certificate`` (PEM, DER or base64 DER)."""
    if any(len(v or "") > MAX_FIELD for v in (response, signature, certificate)):
        raise CardRefused("malformed", MALFORMED)
    response = (response or "").strip()
    challenge = None
    if response:
        try:
            answer = json.loads(response)
        except ValueError:
            raise CardRefused("malformed", MALFORMED) from None
        if not isinstance(answer, dict) or not all(
                isinstance(answer.get(k), str) for k in ("signature", "certificate")):
            raise CardRefused("malformed", MALFORMED)
        challenge = answer.get("challenge") if isinstance(answer.get("challenge"), str) else None
        signature, certificate = answer["signature"], answer["certificate"].encode("ascii",
                                                                                   "replace")
    elif isinstance(certificate, str):
        certificate = certificate.encode("ascii", "replace")
    if not signature or not certificate:
        raise CardRefused("malformed", MALFORMED)
    return CardResponse(challenge=challenge, signature=_decode_base64(signature),
                        certificate=load_user_certificate(certificate.strip()))


def binding_subject(certificate: x509.Certificate) -> str:
    """The stable identifier an account is bound to: sha256 of the issuer's DN (DER) and
    the serial number.

    J-LIS's user authentication certificate carries no name or address, and on
    renewal (every five years, or with a new card) both its key and its
    subject change, so nothing inside the certificate survives a renewal: the
    link between old and new serials is a J-LIS service for certified
    verifiers only. Issuer and serial are what RFC 5280 makes unique, so that
    is what we bind; after a renewal the resident links the new certificate
    (signed in another way), and the old binding stops working when the old
    certificate expires. Hashing keeps the serial, which J-LIS treats as
    personal information, out of our tables.
    """
    serial = certificate.serial_number.to_bytes(21, "big", signed=False)
    digest = hashlib.sha256(b"jpki\0" + certificate.issuer.public_bytes() + b"\0" + serial)
    return digest.hexdigest()


def verify_signature(certificate, message: bytes, signature: bytes):
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            raise CardRefused("key_type", _("This kind of certificate key is not supported."))
    except InvalidSignature:
        raise CardRefused("signature", _(
            "The signature does not match this sign-in request. Please sign the request "
            "shown on this page with your card and try again.")) from None


def _load_anchor_file(data: bytes):
    return x509.load_pem_x509_certificates(data)


def trust_material(registry):
    """(roots, intermediates) from the files in ``kairan.stepup.jpki.trust_anchors``:
    self-signed certificates are anchors; the others (J-LIS's link certificates, an
    intermediate CA) are only used to build a path to one."""
    cache = registry.get("kairan_stepup.anchor_cache")
    if cache is None:
        cache = registry["kairan_stepup.anchor_cache"] = FileCache(_load_anchor_file)
    roots, intermediates = [], []
    for path in registry.settings["kairan.stepup.jpki.trust_anchors"]:
        for cert in cache.get(path):
            (roots if cert.subject == cert.issuer else intermediates).append(cert)
    return roots, intermediates


def _user_key_usage(policy, certificate, extension):
    if extension is None or not extension.digital_signature:
        raise ValueError("keyUsage lacks digitalSignature")


def _ca_key_usage(policy, certificate, extension):
    if extension is None or not extension.key_cert_sign:
        raise ValueError("keyUsage lacks keyCertSign")


def _ca_basic_constraints(policy, certificate, extension):
    if extension is None or not extension.ca:
        raise ValueError("not a CA")


USER_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.KeyUsage, Criticality.AGNOSTIC, _user_key_usage)
CA_POLICY = (ExtensionPolicy.permit_all()
             .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
             .require_present(x509.BasicConstraints, Criticality.AGNOSTIC,
                              _ca_basic_constraints))


def _tokyo(moment):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class VerifiedCard:
    subject: str  # binding_subject(certificate)
    not_after: datetime


def verify_card(request, message: bytes, signature: bytes, certificate: x509.Certificate,
                now=None) -> VerifiedCard:
    """Check that ``certificate`` signed ``message`` and is a good card certificate now.

    Raises ``CardRefused`` with the first reason found. The challenge's
    origin, freshness and single use are the caller's checks.
    """
    now = now or datetime.now(UTC)
    try:
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        key_usage = None
    if key_usage is None or not key_usage.digital_signature:
        raise CardRefused("key_usage", _(
            "This certificate cannot be used to sign in. Please use the user "
            "authentication certificate of your MyNumber card."))
    verify_signature(certificate, message, signature)
    if certificate.not_valid_after_utc < now:
        raise CardRefused("expired", _(
            "The certificate on your card expired on ${date}. Please renew it at the city "
            "office, then try again.", mapping={"date": _tokyo(certificate.not_valid_after_utc)}))
    if certificate.not_valid_before_utc > now:
        raise CardRefused("not_yet_valid", _("The certificate on your card is not valid yet."))
    roots, intermediates = trust_material(request.registry)
    untrusted = CardRefused("chain", _(
        "The certificate was not issued by a certification authority this site trusts "
        "(for the MyNumber card: J-LIS)."))
    if not roots:
        raise untrusted
    verifier = (PolicyBuilder().store(Store(roots)).time(now)
                .extension_policies(ca_policy=CA_POLICY, ee_policy=USER_POLICY)
                .build_client_verifier())
    try:
        chain = verifier.verify(certificate, intermediates).chain
    except VerificationError:
        raise untrusted from None
    try:
        revocation_checker(request.registry).check(request, certificate, chain[1])
    except Revoked:
        raise CardRefused("revoked", _(
            "The certificate on your card has been revoked. If you still have your card, "
            "please ask the city office to issue a new certificate.")) from None
    except StatusUnknown as e:
        raise CardRefused("revocation_unknown", _(
            "We could not check whether the certificate on your card is still valid. "
            "Please try again later.")) from e
    return VerifiedCard(subject=binding_subject(certificate),
                        not_after=certificate.not_valid_after_utc)
