"""Normalising what people type: postal codes, Japanese phone numbers, legal names
(full-width characters, the many dashes, +81, 株式会社 and (株))."""

import re
import unicodedata

DASHES = "-‐‑‒–—―−ー－"
POSTAL_RE = re.compile(r"^〒?\s*(\d{3})[-]?(\d{4})$")
# 11 digits: mobile (070/080/090), IP phone (050), M2M (020), 060, toll-free 0800
ELEVEN_DIGIT_PREFIXES = ("070", "080", "090", "050", "020", "060", "0800")


def _nfkc(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip()
    return "".join("-" if ch in DASHES else ch for ch in value)


def normalise_postal_code(value: str) -> str | None:
    """``NNN-NNNN`` from a postal code typed with or without the hyphen (full-width
    digits and 〒 accepted), or None if it is not one."""
    match = POSTAL_RE.match(_nfkc(value))
    return f"{match.group(1)}-{match.group(2)}" if match else None


def phone_digits(value: str) -> str | None:
    """The digits of a Japanese phone number (``+81`` becomes ``0``), or None if it is not
    one: 10 digits for a fixed line, 0120 and 0570; 11 for mobiles (070/080/090), IP
    phones (050) and 0800."""
    text = _nfkc(value)
    if not re.fullmatch(r"\+?[\d\s()-]{10,20}", text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not digits.startswith("81"):
            return None
        digits = "0" + digits[2:]
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    if len(digits) == 11:
        return digits if digits.startswith(ELEVEN_DIGIT_PREFIXES) else None
    if len(digits) == 10:
        # a mobile or IP-phone prefix with a digit missing
        return None if digits.startswith(("070", "080", "090", "050", "020", "060")) else digits
    return None


def display_phone(value: str) -> str:
    """The number as typed, in half-width characters (the hyphens are the caller's)."""
    text = _nfkc(value)
    return "0" + text[3:].lstrip() if text.startswith("+81") else text


def legal_name_key(value: str) -> str:
    """A legal name compared loosely: NFKC, no spaces, lower case, 株式会社 ≡ (株)."""
    text = unicodedata.normalize("NFKC", value or "").lower()
    text = text.replace("(株)", "株式会社").replace("(有)", "有限会社")
    return re.sub(r"\s+", "", text)[:200]
