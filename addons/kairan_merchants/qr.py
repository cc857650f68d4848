"""Signed QR payloads for branches, and their SVG drawing.

A payload is ``KM1.<branch id>.<version>.<signature>``: the signature is the
first 16 bytes (128 bits, 22 base64url characters) of HMAC-SHA256 over
``KM1.<branch id>.<version>`` with a key derived from ``kairan.secret`` for
this purpose only, so it cannot be forged, nor altered into another branch's
code. ``version`` is the branch's ``qr_version``: rotating a stolen poster's
code raises it, and the old payload no longer verifies against the branch.
About 35 characters: a version-3 QR code with 15 % error correction.

If ``kairan.merchants.qr_prefix`` is set, the code holds the prefix and the
payload (a URL a phone camera opens); verification reads the payload at the
end of the text either way.
"""

import base64
import hashlib
import hmac
import re

SCHEME = "KM1"
SIGNATURE_BYTES = 16
PAYLOAD_RE = re.compile(r"KM1\.([1-9]\d{0,9})\.([1-9]\d{0,5})\.([A-Za-z0-9_-]{22})\Z")
MAX_TEXT = 500


def qr_key(secret: str) -> bytes:
    """The QR signing key: ``kairan.secret`` put through HMAC with a label of its own, so
    the same secret's other uses (sessions, CSRF) never share a key with the codes."""
    return hmac.new(secret.encode("utf-8"), b"kairan_merchants: QR payload key v1",
                    hashlib.sha256).digest()


def _signature(key: bytes, branch_id: int, version: int) -> str:
    message = f"{SCHEME}.{branch_id}.{version}".encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: str, branch_id: int, version: int) -> str:
    """The payload of ``branch_id``'s code at ``version``."""
    return f"{SCHEME}.{branch_id}.{version}.{_signature(qr_key(secret), branch_id, version)}"


def verify(secret: str, text) -> tuple[int, int] | None:
    """``(branch_id, version)`` if ``text`` ends in a payload whose signature is ours, else
    None. Checks the signature only; the caller compares the version with the branch's."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    start = text.rfind(SCHEME + ".")
    if start < 0:
        return None
    match = PAYLOAD_RE.match(text[start:].strip())
    if match is None:
        return None
    branch_id, version = int(match.group(1)), int(match.group(2))
    expected = _signature(qr_key(secret), branch_id, version)
    if not hmac.compare_digest(expected, match.group(3)):
        return None
    return branch_id, version


def code_text(settings, payload: str) -> str:
    """What the QR code holds: the configured prefix (may be empty) and the payload."""
    return settings.get("kairan.merchants.qr_prefix", "") + payload


def svg(text: str, title: str, scale: int = 8) -> str:
    """An inline ``<svg>`` of ``text`` as a QR code (black on white, a quiet zone of 4)."""
    import segno

    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(scale=scale, border=4, dark="#000", light="#fff", title=title,
                           svgclass="merchant-qr", lineclass=None)


def svg_document(text: str, title: str, scale: int = 8) -> bytes:
    """A standalone SVG file of the code (for a print shop)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        buffer, kind="svg", scale=scale, border=4, dark="#000", light="#fff", title=title,
        xmldecl=True)
    return buffer.getvalue()
