"""Password hashing and the password policy (NIST SP 800-63B-4, SECURITY.md).

argon2id with 19 MiB of memory, 2 passes, 1 lane: OWASP's minimum, chosen so
a sign-in costs about 20 ms of one core (bench/README.md). Rules: 8 to 128
characters (counted as code points, never truncated), no composition rules,
refused when on the local blocklist of common passwords or when it contains
the site's or the user's name.
"""

import os
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kairan.i18n.translation import _

MIN_LENGTH = 8
MAX_LENGTH = 128

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                        salt_len=16, type=Type.ID)

# Verified when the e-mail address is unknown, so that an unknown account and
# a wrong password cost the same time (no account enumeration by timing).
DUMMY_HASH = HASHER.hash("kairan-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists."""
    try:
        return HASHER.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def blocklist() -> frozenset:
    path = os.path.join(os.path.dirname(__file__), "data", "common-passwords.txt")
    with open(path, encoding="utf-8") as f:
        return frozenset(_normalise(line.strip()) for line in f
                         if line.strip() and not line.startswith("#"))


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def password_problems(password: str, context_words=()) -> list:
    """Translatable reasons why ``password`` is refused; empty if it is acceptable."""
    problems = []
    length = len(password)
    if length < MIN_LENGTH:
        problems.append(_("The password must be at least ${min} characters.",
                          mapping={"min": MIN_LENGTH}))
    if length > MAX_LENGTH:
        problems.append(_("The password must be at most ${max} characters.",
                          mapping={"max": MAX_LENGTH}))
    normal = _normalise(password)
    if normal in blocklist():
        problems.append(_("This password is too common and easy to guess. Please choose another."))
    for word in context_words:
        word = _normalise(word or "")
        if len(word) >= 3 and word in normal:
            problems.append(_("The password must not contain your name, e-mail address or the "
                              "site's name."))
            break
    return problems
