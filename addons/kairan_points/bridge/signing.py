"""The HMAC-SHA256 signature of the bridge's HTTP requests, both ways.

The signed text is ``METHOD\\nPATH\\nTIMESTAMP\\nBODY`` (PATH with its query
string, TIMESTAMP in whole Unix seconds, BODY the raw bytes), and the headers
are ``X-Bridge-Timestamp`` and ``X-Bridge-Signature: v1=<hex>``. A receiver
refuses a timestamp outside its window, so a captured request cannot be
replayed later; within the window the idempotency key (or the transaction
id) makes a replay harmless.
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Bridge-Timestamp"
SIGNATURE_HEADER = "X-Bridge-Signature"
KEY_HEADER = "Idempotency-Key"
SCHEME = "v1="


def signature(secret, method, path, timestamp, body):
    if isinstance(secret, str):
        secret = secret.encode()
    message = b"\n".join([method.upper().encode(), path.encode(), str(timestamp).encode(),
                          body or b""])
    return SCHEME + hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_headers(secret, method, path, timestamp, body):
    return {TIMESTAMP_HEADER: str(int(timestamp)),
            SIGNATURE_HEADER: signature(secret, method, path, int(timestamp), body)}


def check(secret, method, path, headers, body, now_seconds, window):
    """None if the request is signed with ``secret`` within ``window`` seconds of now;
    else a short reason (never the expected signature)."""
    raw = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not raw.isdigit() or len(raw) > 12 or not given:
        return "unsigned"
    if abs(int(now_seconds) - int(raw)) > window:
        return "outside the time window"
    expected = signature(secret, method, path, int(raw), body)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        return "bad signature"
    return None
