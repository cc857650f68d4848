"""TOTP (RFC 6238) and recovery codes: enrolment, verification, single use.

Every accepted code is spent with one guarded UPDATE: a TOTP time step is
accepted only while it is later than the step accepted before
(``WHERE last_step < :step``), a recovery code only while it is unused
(``WHERE used_at IS NULL``). Of any number of requests racing with one code,
exactly one sees a changed row: on PostgreSQL the losers wait for the
winner's row lock and then re-check the condition on the committed row; on
SQLite writers are serialised and the first write of a request starts its
transaction, so the check always reads the committed value.

Recovery codes are stored as HMAC-SHA256(pepper, salt || code), not with
argon2: a code is 50 random bits, not a human-chosen password, so a slow
hash buys nothing against guessing that the per-account rate limit does not
already give; the pepper (derived from ``kairan.secret``, never stored in the
database) means a stolen table alone cannot be searched at all, and
verification stays a few microseconds per code.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
import unicodedata

import pyotp
from sqlalchemy import delete, func, select, update

from kairan.db.meta import utcnow
from kairan_stepup.crypto import decrypt, encrypt
from kairan_stepup.totp.models import RecoveryCode, TotpDevice

STEP_SECONDS = 30
DIGITS = 6
SEED_BYTES = 20  # 160 bits, RFC 4226's recommended length
WINDOW = (0, -1, 1)  # the current step first, then one step either side
RECOVERY_CODES = 10
RECOVERY_LENGTH = 10  # characters of a 32-letter alphabet: 50 bits
# Crockford's base32: no i, l, o, u, so a code read aloud or copied by hand survives
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
MAX_DEVICES = 5

# outcomes of a check
SUCCESS, WRONG, REPLAY, MALFORMED, LOCKED = "success", "wrong", "replay", "malformed", "locked"


# -- TOTP ---------------------------------------------------------------------------------
def new_seed() -> str:
    """A random 160-bit seed in base32 (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def grouped(seed: str) -> str:
    """The seed in groups of four for typing by hand: ``ABCD EFGH ...``."""
    return " ".join(seed[i:i + 4] for i in range(0, len(seed), 4))


def provisioning_uri(seed, account_name, issuer):
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account_name, issuer_name=issuer)


def qr_svg(uri, title):
    """The QR code of ``uri`` as an inline SVG element, drawn here (no outside service)."""
    import segno

    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=title,
                        svgclass="totp-qr", lineclass=None, omitsize=False)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def normalise_code(text) -> str | None:
    """Six ASCII digits (spaces and hyphens allowed between them), or None. Full-width
    digits, which a Japanese input method often types, are read as ASCII ones."""
    if not isinstance(text, str) or len(text) > 20:
        return None
    digits = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text))
    return digits if re.fullmatch(rf"[0-9]{{{DIGITS}}}", digits) else None


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(seed, code, now=None) -> int | None:
    """The time step within the window whose code is ``code``, or None."""
    totp = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    found = None
    for offset in WINDOW:
        # compare every candidate, so the time taken does not say which one matched
        if hmac.compare_digest(totp.generate_otp(step + offset), code) and found is None:
            found = step + offset
    return found


def devices(dbsession, user_id):
    """The user's confirmed authenticator apps, oldest first."""
    return list(dbsession.scalars(
        select(TotpDevice).where(TotpDevice.user_id == user_id,
                                 TotpDevice.confirmed.is_not(None))
        .order_by(TotpDevice.id)))


def has_device(dbsession, user_id) -> bool:
    return dbsession.scalar(select(func.count(TotpDevice.id)).where(
        TotpDevice.user_id == user_id, TotpDevice.confirmed.is_not(None))) > 0


def accept_step(dbsession, device_id, step, now=None) -> bool:
    """Spend ``step`` on the device: True for exactly one caller per step (and none for
    an earlier step once a later one was accepted)."""
    result = dbsession.execute(
        update(TotpDevice)
        .where(TotpDevice.id == device_id, TotpDevice.last_step < step)
        .values(last_step=step, last_used=now or utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def verify_totp(dbsession, registry, user_id, code, now=None) -> tuple[str, int | None]:
    """Check ``code`` against the user's apps; ``(outcome, device id)``. No rate limit
    here: ``check_code`` wraps this with the per-account limiters."""
    code = normalise_code(code)
    if code is None:
        return MALFORMED, None
    replayed = None
    for device in devices(dbsession, user_id):
        step = matching_step(decrypt(registry, device.secret), code, now)
        if step is None:
            continue
        if accept_step(dbsession, device.id, step):
            return SUCCESS, device.id
        replayed = device.id
    return (REPLAY, replayed) if replayed is not None else (WRONG, None)


def confirm_device(dbsession, registry, user_id, seed, code, nickname, now=None):
    """Create a confirmed device for ``seed`` if ``code`` is its current code; else None.

    The accepted step is stored at once, so the code typed to confirm cannot
    then be used to step up.
    """
    code = normalise_code(code)
    step = matching_step(seed, code, now) if code else None
    if step is None:
        return None
    at = utcnow()
    device = TotpDevice(user_id=user_id, nickname=nickname, secret=encrypt(registry, seed),
                        created=at, confirmed=at, last_step=step, last_used=None)
    dbsession.add(device)
    dbsession.flush()
    return device


def remove_devices(dbsession, user_id, device_id=None) -> int:
    stmt = delete(TotpDevice).where(TotpDevice.user_id == user_id)
    if device_id is not None:
        stmt = stmt.where(TotpDevice.id == device_id)
    return dbsession.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


# -- recovery codes -------------------------------------------------------------------------
def pepper(settings) -> bytes:
    return hashlib.sha256(b"kairan_stepup recovery codes\0"
                          + settings["kairan.secret"].encode("utf-8")).digest()


def hash_code(pepper_bytes, salt_hex, code) -> str:
    return hmac.new(pepper_bytes, bytes.fromhex(salt_hex) + code.encode("ascii"),
                    hashlib.sha256).hexdigest()


def format_recovery(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def normalise_recovery(text) -> str | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text).lower())
    code = code.translate(str.maketrans("oil", "011"))
    if len(code) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in code):
        return None
    return code


def new_recovery_codes(dbsession, settings, user_id) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them (shown once)."""
    dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id)
                      .execution_options(synchronize_session=False))
    key = pepper(settings)
    now = utcnow()
    codes = []
    for _i in range(RECOVERY_CODES):
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(RECOVERY_LENGTH))
        salt = secrets.token_hex(16)
        dbsession.add(RecoveryCode(user_id=user_id, salt=salt, code_hash=hash_code(key, salt, code),
                                   created=now, used_at=None))
        codes.append(format_recovery(code))
    dbsession.flush()
    return codes


def recovery_codes_left(dbsession, user_id) -> int:
    return dbsession.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


def use_recovery_code(dbsession, settings, user_id, text) -> str:
    """Spend one of the user's codes: SUCCESS once per code, else WRONG / MALFORMED."""
    code = normalise_recovery(text)
    if code is None:
        return MALFORMED
    key = pepper(settings)
    found = None
    for row in dbsession.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(hash_code(key, row.salt, code), row.code_hash):
            found = row.id
    if found is None:
        return WRONG
    result = dbsession.execute(
        update(RecoveryCode).where(RecoveryCode.id == found, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return SUCCESS if result.rowcount == 1 else REPLAY


def remove_recovery_codes(dbsession, user_id) -> int:
    return dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id)
                             .execution_options(synchronize_session=False)).rowcount or 0


# -- the request-level check: rate limits and audit --------------------------------------
LIMITERS = ("stepup.otp", "stepup.otp.day")


def locked(request, user) -> bool:
    from kairan.security.ratelimit import get_rate_limiter

    key = f"user:{user.id}"
    return any(get_rate_limiter(request, name).exceeded(request, key) for name in LIMITERS)


def retry_after(request, user) -> int:
    """Seconds until every limiter that holds the account has opened again."""
    from kairan.security.ratelimit import get_rate_limiter

    key = f"user:{user.id}"
    waits = [limiter.retry_after(request) for limiter in
             (get_rate_limiter(request, name) for name in LIMITERS)
             if limiter.exceeded(request, key)]
    return max(waits, default=0)


def check_code(request, user, code, kind="totp") -> str:
    """Verify a TOTP (``kind="totp"``) or recovery code of ``user`` under the per-account
    limiters, auditing failures, lockouts and recovery-code use. Secrets are never put
    in the audit detail."""
    from kairan.audit.services import audit
    from kairan.security.ratelimit import get_rate_limiter

    key = f"user:{user.id}"
    action = "stepup.otp" if kind == "totp" else "stepup.recovery"
    if locked(request, user):
        audit(request, action + ".failure", target=f"user:{user.id}", outcome="denied",
              detail={"reason": "locked"})
        return LOCKED
    if kind == "totp":
        outcome, _device = verify_totp(request.dbsession, request.registry, user.id, code)
    else:
        outcome = use_recovery_code(request.dbsession, request.registry.settings, user.id, code)
    if outcome == SUCCESS:
        if kind == "recovery":
            audit(request, "stepup.recovery.used", target=f"user:{user.id}",
                  detail={"left": recovery_codes_left(request.dbsession, user.id)})
        return SUCCESS
    for name in LIMITERS:
        get_rate_limiter(request, name).hit(request, key)
    audit(request, action + ".failure", target=f"user:{user.id}", outcome="failure",
          detail={"reason": outcome})
    # it was not locked when this request began: this failure used up a window
    if locked(request, user):
        audit(request, "stepup.otp.lockout", target=f"user:{user.id}", outcome="denied",
              detail={"factor": kind})
        return LOCKED
    return outcome
