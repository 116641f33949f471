"""Canonical fields and the mapping of a file's columns onto them.

A mapping is ``canonical=SourceColumn``; custom profile traits are ``trait.<name>=Column``.
Without a mapping, columns whose name equals a canonical field (ignoring case) map to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unicx.errors import FieldIssue, ValidationError
from unicx.identity.normalize import fold_name
from unicx.profiles.imports.models import ImportKind

PROFILE_FIELDS: tuple[str, ...] = (
    "user_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "full_name",
    "gender",
    "birth_date",
    "address",
    "city",
    "country",
    "created_at",
)
ORDER_FIELDS: tuple[str, ...] = (
    "order_id",
    "user_id",
    "email",
    "phone",
    "timestamp",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "currency",
)
FIELDS: dict[ImportKind, tuple[str, ...]] = {"profiles": PROFILE_FIELDS, "orders": ORDER_FIELDS}
TRAIT_PREFIX = "trait."
# Trait names end up as JSON keys and in trait SQL: keep them plain.
TRAIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_MAPPING_ENTRIES = 500


@dataclass(frozen=True)
class ColumnMap:
    """Resolved mapping: canonical field -> column, custom trait -> column."""

    fields: dict[str, str]
    traits: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {**self.fields, **{TRAIT_PREFIX + k: v for k, v in self.traits.items()}}

    @property
    def columns(self) -> set[str]:
        return set(self.fields.values()) | set(self.traits.values())


def parse_mapping(text: str) -> dict[str, str]:
    """``a=B,c=D`` into {"a": "B", "c": "D"} (column names may hold spaces, not commas)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, column = part.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ValidationError(
                f"mapping entry {part!r} is not canonical=Column",
                issues=[FieldIssue("mapping", "format", "expected canonical=Column")],
            )
        out[name.strip()] = column.strip()
    return out


def resolve_mapping(
    kind: ImportKind,
    columns: list[str],
    mapping: dict[str, str] | None,
    *,
    keep_unmapped: bool = False,
) -> ColumnMap:
    """Check ``mapping`` against the file's columns; a bad entry fails before anything is read."""
    known = FIELDS[kind]
    if mapping is None or not mapping:
        fields = _by_name(known, columns)
        traits: dict[str, str] = {}
    else:
        fields, traits = _split(kind, mapping, known)
    missing = sorted({c for c in [*fields.values(), *traits.values()] if c not in columns})
    if missing:
        raise ValidationError(
            f"mapped column(s) not in the file: {', '.join(missing)}; "
            f"the file has: {', '.join(columns[:50])}",
            issues=[FieldIssue(f"mapping.{c}", "missing_column", "not in file") for c in missing],
        )
    if keep_unmapped and kind == "profiles":
        used = set(fields.values()) | set(traits.values())
        for column in columns:
            name = _trait_name(column)
            if column not in used and name is not None and name not in traits:
                traits[name] = column
    result = ColumnMap(fields, traits)
    _check_required(kind, result)
    return result


def _by_name(known: tuple[str, ...], columns: list[str]) -> dict[str, str]:
    """The default mapping; two columns that both could be a field (Email, email) are refused."""
    fields: dict[str, str] = {}
    for name in known:
        found = [c for c in columns if c.lower() == name]
        if len(found) > 1:
            raise ValidationError(
                f"columns {', '.join(found)} could all be {name}: map one with --map",
                issues=[FieldIssue(f"mapping.{name}", "ambiguous", ", ".join(found))],
            )
        if found:
            fields[name] = found[0]
    return fields


def _split(
    kind: ImportKind, mapping: dict[str, str], known: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str]]:
    if len(mapping) > MAX_MAPPING_ENTRIES:
        raise ValidationError(f"mapping has more than {MAX_MAPPING_ENTRIES} entries")
    fields: dict[str, str] = {}
    traits: dict[str, str] = {}
    issues: list[FieldIssue] = []
    for name, column in mapping.items():
        if name in known:
            fields[name] = column
        elif kind == "profiles" and name.startswith(TRAIT_PREFIX):
            trait = name[len(TRAIT_PREFIX) :]
            if TRAIT_NAME.match(trait) and trait not in PROFILE_FIELDS:
                traits[trait] = column
            else:
                issues.append(FieldIssue(f"mapping.{name}", "trait_name", "letters, digits, _"))
        else:
            allowed = ", ".join(known) + (", trait.<name>" if kind == "profiles" else "")
            issues.append(FieldIssue(f"mapping.{name}", "unknown_field", f"one of: {allowed}"))
    if issues:
        raise ValidationError(
            "invalid mapping: " + "; ".join(i.field for i in issues), issues=issues
        )
    return fields, traits


def _trait_name(column: str) -> str | None:
    """A column name as a custom trait name (spaces to _), or None if it cannot be one."""
    # Vietnamese headers ("Hạng thẻ") become plain names ("hang_the").
    name = re.sub(r"\W+", "_", fold_name(column), flags=re.ASCII).strip("_")
    if name[:1].isdigit():
        name = "_" + name
    return name if TRAIT_NAME.match(name) and name not in PROFILE_FIELDS else None


def _check_required(kind: ImportKind, cmap: ColumnMap) -> None:
    """Columns without which no row could pass: say so once rather than once per row."""
    if not {"user_id", "email", "phone"} & cmap.fields.keys():
        need = "user_id, email or phone"
    elif kind == "orders":
        absent = [
            f
            for f in ("order_id", "timestamp", "sku", "quantity", "unit_price")
            if f not in cmap.fields
        ]
        need = ", ".join(absent)
    else:
        need = ""
    if need:
        raise ValidationError(
            f"no column mapped to {need} (map columns with e.g. --map email=Email)",
            issues=[FieldIssue("mapping", "required", f"{need} must be mapped")],
        )
