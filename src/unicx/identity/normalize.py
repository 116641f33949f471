"""Identifier normalization, applied before any two identifiers are compared or linked.

Emails: trimmed and lower-cased, dots kept (only some providers ignore them, and merging two
people is worse than missing a link); syntax checked with email-validator, no DNS lookup.
Phones: E.164 through phonenumbers with Vietnam as the default region, so 0912 345 678,
0912345678 and +84912345678 are one number. Placeholder values ("null", "undefined", "0",
test@test.com, …) are dropped: linking on them is the classic cause of mega-profiles.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

DEFAULT_REGION: Final = "VN"
MAX_IDENTIFIER_LENGTH: Final = 1024

PLACEHOLDERS: Final = frozenset(
    {
        "",
        "0",
        "-",
        "null",
        "none",
        "nil",
        "undefined",
        "nan",
        "n/a",
        "na",
        "unknown",
        "anonymous",
        "guest",
        "test",
        "[object object]",
    }
)
PLACEHOLDER_EMAILS: Final = frozenset(
    {
        "test@test.com",
        "test@example.com",
        "a@a.com",
        "abc@abc.com",
        "noemail@noemail.com",
        "no@email.com",
        "email@email.com",
        "none@none.com",
        "null@null.com",
    }
)
# Most addresses are plain ASCII (letters, digits, . _ % + - before the @; dotted letter/digit
# labels after it) and short; for those email-validator returns its input unchanged, so they
# skip it (about 30 µs each: most of a million-profile rebuild). The pattern is written for
# both Python's re and DuckDB's RE2, so SQL applies the same rule; a test checks it against
# email-validator. The length cap keeps local part and labels far below their limits.
PLAIN_EMAIL_PATTERN: Final = r"[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]+"
PLAIN_EMAIL_MAX_LENGTH: Final = 64
# Top-level labels of the reserved names (.test, .local, …) that email-validator refuses: any
# address under them takes the slow path, which decides.
SPECIAL_USE_TLDS: Final = tuple(sorted({d.rpartition(".")[2] for d in SPECIAL_USE_DOMAIN_NAMES}))
_PLAIN_EMAIL = re.compile(PLAIN_EMAIL_PATTERN)
_REPEATED_DIGIT = re.compile(r"^(\d)\1+$")
_SPACES = re.compile(r"\s+")


def is_placeholder(value: str) -> bool:
    """True for values that identify nobody ("null", "0", "undefined", …)."""
    return value.strip().lower() in PLACEHOLDERS


def normalize_id(value: object) -> str | None:
    """A user id, anonymous id, device id or custom id: trimmed text, placeholders dropped."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_IDENTIFIER_LENGTH or is_placeholder(text):
        return None
    return text


def normalize_email(value: object) -> str | None:
    """Canonical email (trimmed, lower case, dots kept), or None if invalid or a placeholder."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if not text or len(text) > 254 or text in PLACEHOLDER_EMAILS or is_placeholder(text):
        return None
    if is_plain_email(text):
        return text
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(checked.normalized).lower()


def is_plain_email(text: str) -> bool:
    """True if ``text`` (already trimmed and lower case) is a plain address that email-validator
    would accept unchanged; see PLAIN_EMAIL_PATTERN."""
    if len(text) > PLAIN_EMAIL_MAX_LENGTH or _PLAIN_EMAIL.fullmatch(text) is None:
        return False
    return text.rpartition(".")[2] not in SPECIAL_USE_TLDS


def normalize_phone(value: object, *, region: str = DEFAULT_REGION) -> str | None:
    """E.164 phone number (+84912345678), or None if it is not a valid number."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    digits = re.sub(r"\D", "", text)
    if not digits or len(text) > 64 or _REPEATED_DIGIT.match(digits) or is_placeholder(text):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold_name(value: str) -> str:
    """Name without Vietnamese diacritics, lower case, single spaces: "Nguyễn Văn  An" → "nguyen
    van an". For fuzzy comparison only; the name as written is what profiles keep."""
    # đ/Đ are letters of their own, not d plus a mark, so NFD leaves them alone.
    text = value.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()
