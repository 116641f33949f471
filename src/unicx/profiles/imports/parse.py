"""Parsing the text of dates, times and numbers as CRM and shop exports write them.

Dates: ISO 8601 always; otherwise day first (dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy), the
Vietnamese order, unless the import says month first. 03/04/2024 is therefore 3 April:
the file cannot tell, so the import decides once for all rows (docs/imports.md).
Numbers: a dot is the decimal point; commas may group thousands (1,234,567.5). A comma as
decimal separator (1,5) is refused rather than guessed.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, tzinfo
from typing import Literal

DateOrder = Literal["dmy", "mdy"]

_SLASHED = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
)
_ISO_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


class ParseError(ValueError):
    """The text is not a value of the expected kind; the message says what was expected."""


def parse_datetime(text: str, *, tz: tzinfo, order: DateOrder = "dmy") -> datetime:
    """A date-time; one without a zone is in the workspace's ``tz``. A date alone is midnight."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _slashed(value, order)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_date(text: str, *, order: DateOrder = "dmy") -> date:
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    parsed = _slashed(value, order)
    if parsed.time() != time(0):
        raise ParseError("a date without a time of day")
    return parsed.date()


def _slashed(value: str, order: DateOrder) -> datetime:
    m = _SLASHED.match(value)
    if m is None and _ISO_LIKE.match(value):
        raise ParseError("not a calendar date (yyyy-mm-dd)")
    if m is None:
        pattern = "dd/mm/yyyy" if order == "dmy" else "mm/dd/yyyy"
        raise ParseError(f"not a date: expected yyyy-mm-dd or {pattern}")
    first, second, year = int(m[1]), int(m[2]), int(m[3])
    day, month = (first, second) if order == "dmy" else (second, first)
    try:
        return datetime(year, month, day, int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    except ValueError as exc:
        raise ParseError(f"not a calendar date: {exc}") from exc


def parse_number(text: str) -> float:
    value = text.strip().replace(" ", "").replace("_", "")
    if _GROUPED.match(value):
        value = value.replace(",", "")
    elif not _PLAIN.match(value):
        raise ParseError("not a number (use . as the decimal point, e.g. 1234.5 or 1,234.5)")
    number = float(value)
    if not math.isfinite(number):
        raise ParseError("number out of range")
    return number


def compact(number: float) -> int | float:
    """Integral numbers as int, so JSON shows 2 rather than 2.0."""
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
