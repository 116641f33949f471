"""Per-row rules of profile and order imports: a clean record, or the issues that reject it.

Identifiers go through unicx.identity.normalize, so imported and tracked values link. A
placeholder ("null", test@test.com) is dropped quietly, as tracking drops it; a value that is
neither a placeholder nor valid rejects the row, since a typo'd email would silently lose the
person's link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from unicx.config import Settings
from unicx.identity.normalize import (
    PLACEHOLDER_EMAILS,
    is_placeholder,
    normalize_email,
    normalize_id,
    normalize_phone,
)
from unicx.profiles.imports.mapping import ColumnMap
from unicx.profiles.imports.models import ImportKind, RowIssue
from unicx.profiles.imports.parse import (
    DateOrder,
    ParseError,
    compact,
    parse_date,
    parse_datetime,
    parse_number,
)

MAX_CELL_CHARS = 4096
MIN_BIRTH_DATE = date(1900, 1, 1)
_IDENTIFIERS = ("user_id", "email", "phone")

# Validating an email or phone costs ~50-100 us and files repeat the same customers: cache.
cached_email = lru_cache(maxsize=1 << 18)(normalize_email)
cached_phone = lru_cache(maxsize=1 << 18)(normalize_phone)


@dataclass
class Checked:
    """A row after its rules: ``record`` holds clean canonical values; rejected if ``issues``."""

    row: int
    record: dict[str, Any]
    traits: dict[str, str]
    issues: list[RowIssue]


@dataclass
class Rules:
    """What every row of one import is checked against."""

    kind: ImportKind
    cmap: ColumnMap
    tz: tzinfo
    now: datetime
    min_ts: datetime
    max_ts: datetime
    currency: str
    order: DateOrder = "dmy"

    def __post_init__(self) -> None:
        # Order lines of one order share their timestamp: parse each distinct text once.
        self.when = lru_cache(maxsize=1 << 16)(self._when)

    def _when(self, raw: str) -> datetime | str:
        """UTC time of ``raw``, or the reason it is not one."""
        try:
            return parse_datetime(raw, tz=self.tz, order=self.order).astimezone(UTC)
        except (ParseError, ValueError, OverflowError) as exc:
            return str(exc)

    @classmethod
    def build(
        cls,
        kind: ImportKind,
        cmap: ColumnMap,
        settings: Settings,
        *,
        now: datetime,
        order: DateOrder,
    ) -> Rules:
        return cls(
            kind=kind,
            cmap=cmap,
            tz=ZoneInfo(settings.timezone),
            now=now,
            min_ts=settings.min_timestamp,
            max_ts=now + timedelta(seconds=settings.max_future_seconds),
            currency=settings.currency.upper(),
            order=order,
        )


class _Row:
    """One row's mapped values and the issues found so far."""

    def __init__(self, rules: Rules, number: int, values: dict[str, str | None]) -> None:
        self.rules = rules
        self.number = number
        self.values = values
        self.issues: list[RowIssue] = []

    def fail(self, name: str, rule: str, message: str) -> None:
        column = self.rules.cmap.fields.get(name) or self.rules.cmap.traits.get(name) or name
        self.issues.append(RowIssue(row=self.number, column=column, rule=rule, message=message))

    def text(self, name: str) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return None
        value = raw.strip()
        if len(value) > MAX_CELL_CHARS:
            self.fail(name, "max_length", f"longer than {MAX_CELL_CHARS} characters")
            return None
        return value or None

    def identifiers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in _IDENTIFIERS:
            raw = self.text(name)
            if raw is None:
                continue
            norm = _identifier(name, raw)
            if norm is not None:
                found[name] = norm
            elif not _placeholder(name, raw):
                rule = "max_length" if name == "user_id" else name  # the only way a user id fails
                self.fail(name, rule, f"not a valid {name.replace('_', ' ')}: {raw[:64]!r}")
        if not found and not self.issues:
            mapped = [
                self.rules.cmap.fields[n] for n in _IDENTIFIERS if n in self.rules.cmap.fields
            ]
            self.issues.append(
                RowIssue(
                    row=self.number,
                    column="|".join(mapped),
                    rule="identifier_required",
                    message="needs a user_id, email or phone",
                )
            )
        return found

    def when(self, name: str, *, required: bool) -> datetime | None:
        raw = self.text(name)
        if raw is None:
            if required:
                self.fail(name, "required", f"{name} is required")
            return None
        ts = self.rules.when(raw)
        if isinstance(ts, str):
            self.fail(name, "datetime", ts)
            return None
        if ts < self.rules.min_ts:
            self.fail(name, "min_timestamp", f"before {self.rules.min_ts:%Y-%m-%d}")
        elif ts > self.rules.max_ts:
            self.fail(name, "not_future", "in the future")
        return ts

    def numeric(self, name: str) -> float | None:
        raw = self.text(name)
        if raw is None:
            self.fail(name, "required", f"{name} is required")
            return None
        try:
            return parse_number(raw)
        except ParseError as exc:
            self.fail(name, "number", str(exc))
            return None


def _identifier(name: str, raw: str) -> str | None:
    if name == "email":
        return cached_email(raw)
    if name == "phone":
        return cached_phone(raw)
    return normalize_id(raw)


def _placeholder(name: str, raw: str) -> bool:
    return is_placeholder(raw) or (name == "email" and raw.strip().lower() in PLACEHOLDER_EMAILS)


def check_profile(rules: Rules, number: int, values: dict[str, str | None]) -> Checked:
    row = _Row(rules, number, values)
    record: dict[str, Any] = row.identifiers()
    for name in ("first_name", "last_name", "full_name", "gender", "address", "city", "country"):
        if (value := row.text(name)) is not None:
            record[name] = value
    raw_birth = row.text("birth_date")
    if raw_birth is not None:
        try:
            birth = parse_date(raw_birth, order=rules.order)
        except (ParseError, ValueError) as exc:
            row.fail("birth_date", "date", str(exc))
        else:
            if not MIN_BIRTH_DATE <= birth <= rules.now.date():
                row.fail("birth_date", "date_range", f"not between 1900 and today: {birth}")
            record["birth_date"] = birth.isoformat()
    created = row.when("created_at", required=False)
    if created is not None:
        record["created_at"] = created
    traits = {name: v for name in rules.cmap.traits if (v := row.text(name)) is not None}
    return Checked(number, record, traits, row.issues)


def check_order(rules: Rules, number: int, values: dict[str, str | None]) -> Checked:
    row = _Row(rules, number, values)
    record: dict[str, Any] = row.identifiers()
    for name in ("order_id", "sku"):
        if (value := row.text(name)) is None:
            row.fail(name, "required", f"{name} is required")
        record[name] = value
    for name in ("product_name", "category"):
        if (value := row.text(name)) is not None:
            record[name] = value
    record["timestamp"] = row.when("timestamp", required=True)
    quantity = row.numeric("quantity")
    if quantity == 0:
        row.fail("quantity", "nonzero", "quantity must not be 0 (negative means a return)")
    price = row.numeric("unit_price")
    if price is not None and price < 0:
        row.fail("unit_price", "min", "unit_price must be 0 or more")
    if quantity is not None and price is not None:
        record["quantity"], record["unit_price"] = compact(quantity), compact(price)
        record["line_total"] = compact(round(quantity * price, 6))
    currency = (row.text("currency") or rules.currency).upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        row.fail("currency", "currency", "a 3-letter ISO 4217 code, e.g. VND")
    record["currency"] = currency
    return Checked(number, record, {}, row.issues)


CHECKERS: dict[ImportKind, Callable[[Rules, int, dict[str, str | None]], Checked]] = {
    "profiles": check_profile,
    "orders": check_order,
}
