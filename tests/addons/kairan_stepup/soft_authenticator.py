"""A software WebAuthn authenticator for the tests: EC P-256 credentials made with
``cryptography``, attestation "none", and assertions with a real clientDataJSON,
authenticatorData (flags, sign count) and signature.

The tests choose what a real key decides: whether the credential is backup-eligible
(a synced passkey), whether the user was verified, the sign count, and even the
origin and RP ID the "browser" puts in, to show the server refuses the wrong ones.
"""

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes.fromhex("6b61697261616e2d736f66742d6b6579")  # "kairaan-soft-key"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    backup_eligible: bool
    sign_count: int = 0
    discoverable: bool = True
    extra: dict = field(default_factory=dict)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})


class SoftAuthenticator:
    """make_credential / get_assertion from the JSON options the server sends."""

    def __init__(self, origin="http://localhost", backup_eligible=False, user_verification=True,
                 count_signatures=True):
        self.origin = origin
        self.backup_eligible = backup_eligible
        self.user_verification = user_verification
        self.count_signatures = count_signatures
        self.credentials: list[SoftCredential] = []

    # -- helpers ---------------------------------------------------------------------
    def _flags(self, credential, uv, extra=0):
        flags = UP | extra
        if uv:
            flags |= UV
        if credential.backup_eligible:
            flags |= BE | BS
        return flags

    @staticmethod
    def _client_data(kind, challenge_b64, origin):
        return json.dumps({"type": kind, "challenge": challenge_b64, "origin": origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    # -- registration ----------------------------------------------------------------
    def create(self, options, origin=None, rp_id=None, uv=None, backup_eligible=None):
        """The JSON a browser posts after ``navigator.credentials.create(options)``."""
        if isinstance(options, str | bytes):
            options = json.loads(options)
        uv = self.user_verification if uv is None else uv
        backup_eligible = self.backup_eligible if backup_eligible is None else backup_eligible
        rp_id = rp_id or options["rp"]["id"]
        credential = SoftCredential(
            credential_id=secrets.token_bytes(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
            backup_eligible=backup_eligible,
        )
        self.credentials.append(credential)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(credential, uv, AT)])
            + struct.pack(">I", credential.sign_count)
            + AAGUID
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_public_key()
        )
        client_data = self._client_data("webauthn.create", options["challenge"],
                                        origin or self.origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data),
                         "attestationObject": b64url(attestation),
                         "transports": ["usb"] if not backup_eligible else ["internal",
                                                                           "hybrid"]},
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        }

    # -- assertions ------------------------------------------------------------------
    def get(self, options, credential=None, sign_count=None, origin=None, rp_id=None, uv=None,
            user_handle=None):
        """The JSON a browser posts after ``navigator.credentials.get(options)``.

        ``credential`` defaults to the first one the options allow (or, with an empty
        allow list, the first discoverable one); ``sign_count`` overrides the counter
        (otherwise it goes up by one when ``count_signatures``).
        """
        if isinstance(options, str | bytes):
            options = json.loads(options)
        if credential is None:
            allowed = {unb64url(d["id"]) for d in options.get("allowCredentials") or ()}
            candidates = [c for c in self.credentials
                          if (c.credential_id in allowed if allowed else c.discoverable)]
            if not candidates:
                raise LookupError("no credential fits these options")
            credential = candidates[0]
        uv = self.user_verification if uv is None else uv
        if sign_count is not None:
            credential.sign_count = sign_count
        elif self.count_signatures:
            credential.sign_count += 1
        auth_data = (
            hashlib.sha256((rp_id or credential.rp_id).encode()).digest()
            + bytes([self._flags(credential, uv)])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"],
                                        origin or self.origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        handle = credential.user_handle if user_handle is None else user_handle
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data),
                         "authenticatorData": b64url(auth_data),
                         "signature": b64url(signature),
                         "userHandle": b64url(handle) if handle else None},
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        }
