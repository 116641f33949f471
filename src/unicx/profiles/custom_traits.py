"""Custom computed traits declared in ``<workspace>/traits.toml``, validated before saving.

A trait is a name and one aggregate SQL expression over the profile's rows of ``event_profiles``
(see :mod:`unicx.profiles.custom_validate` for the rules). Saving checks the expression, then
dry-runs it (``LIMIT 0``: DuckDB binds names and types without reading data) and rewrites the
file atomically. Dry runs and refreshes execute the expression in the sandbox database
(:mod:`unicx.store.sandbox`) over an Arrow copy of the columns it reads, never on the workspace.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import tomllib
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from unicx.config import Settings
from unicx.errors import ConflictError, FieldIssue, NotFoundError, StoreError, ValidationError
from unicx.profiles.catalog import BUILTIN_NAMES, BUILTIN_TRAITS
from unicx.profiles.custom_validate import (
    COLUMNS,
    MAX_SQL_CHARS,
    Compiled,
    check_name,
    compile_expression,
    fail,
)
from unicx.profiles.refresh_scope import params_for
from unicx.store import Session, Store
from unicx.store.sandbox import run_isolated

log = logging.getLogger(__name__)

TRAITS_FILE = "traits.toml"
MAX_CUSTOM_TRAITS = 100
MAX_FILE_BYTES = 512 * 1024
_file_lock = threading.Lock()
_HEADER = (
    "# Custom computed traits (docs/traits.md). Each is one aggregate SQL expression over the\n"
    "# profile's events; check edits with `unicx traits validate` and apply with\n"
    "# `unicx traits refresh`.\n"
)


class CustomTrait(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=63, description="lower-case letters, digits, _")
    # The model bounds the request; the trait rules (compile_expression) say what is too long.
    sql: str = Field(
        min_length=1, max_length=8 * MAX_SQL_CHARS, description="Aggregate SQL expression."
    )
    description: str = Field(default="", max_length=500)


class TraitDefinition(BaseModel):
    name: str
    kind: Literal["builtin", "custom"]
    description: str
    sql: str | None = None
    valid: bool = True
    error: str | None = None


def traits_path(settings: Settings) -> Path:
    return settings.workspace / TRAITS_FILE


def read_definitions(path: Path) -> list[CustomTrait]:
    """Every ``[[trait]]`` of a traits file (structure only); missing file: none."""
    if not path.is_file():
        return []
    if path.stat().st_size > MAX_FILE_BYTES:
        raise fail("file", "too_large", f"{path.name} is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail("file", "toml", f"{path.name} is not valid TOML: {exc}") from None
    unknown = set(data) - {"trait"}
    if unknown or not isinstance(data.get("trait", []), list):
        raise fail("file", "structure", "expected only [[trait]] tables with name and sql")
    entries: list[Any] = data.get("trait", [])
    if len(entries) > MAX_CUSTOM_TRAITS:
        raise fail("file", "too_many", f"at most {MAX_CUSTOM_TRAITS} custom traits")
    return [_entry(i, e) for i, e in enumerate(entries)]


def _entry(index: int, raw: Any) -> CustomTrait:
    try:
        return CustomTrait.model_validate(raw)
    except PydanticValidationError as exc:
        issues = [
            FieldIssue(".".join(str(p) for p in e["loc"]) or "trait", e["type"], e["msg"], index)
            for e in exc.errors()
        ]
        raise ValidationError(
            f"trait[{index}]: {issues[0].field}: {issues[0].message}", issues=issues
        ) from None


def validate_custom_trait(session: Session, trait: CustomTrait) -> Compiled:
    """Check ``trait`` and dry-run it; returns what refreshes will run."""
    check_name(trait.name, builtins=BUILTIN_NAMES)
    compiled = compile_expression(trait.sql)
    dry_run(session, compiled)
    return compiled


def event_columns(
    session: Session, events: str, columns: frozenset[str], *, stream: bool = False
) -> pa.Table | pa.RecordBatchReader:
    """``profile_id`` and ``columns`` of the rows ``events`` (what follows FROM) as Arrow: all
    the sandbox gets to see. Names come from the allow-list, never from the user's text.
    ``stream`` for a full refresh: the sandbox aggregates batches while the workspace scans,
    with no full copy in memory; a table for a few profiles (less overhead per flush)."""
    if not columns <= COLUMNS:
        raise ValueError(f"not event columns: {sorted(columns - COLUMNS)}")
    result = session.execute(event_columns_sql(events, columns), step="traits.columns")
    return result.to_arrow_reader() if stream else result.to_arrow_table()


def event_columns_sql(events: str, columns: frozenset[str]) -> str:
    """The column probe of :func:`event_columns` (``columns`` already checked)."""
    picked = "".join(f', "{c}"' for c in sorted(columns - {"profile_id"}))
    return f"SELECT profile_id{picked} FROM {events}"


def dry_run(session: Session, compiled: Compiled) -> None:
    """Bind the expression in the sandbox against empty columns of event_profiles."""
    empty = event_columns(session, "event_profiles LIMIT 0", compiled.columns)
    sql = dry_run_sql(compiled)
    try:
        values = {"now": "2000-01-01T00:00:00Z", "tz": "UTC"}
        run_isolated(
            session.store,
            sql,
            params_for(sql, values),
            tables={"event_profiles": empty},
            step="traits.dry_run",
        )
    except StoreError as exc:
        cause = str(exc.__cause__ or exc).splitlines()[0][:300]
        raise fail("sql", "sql_error", f"DuckDB rejects the expression: {cause}") from None


def dry_run_sql(compiled: Compiled) -> str:
    """What :func:`dry_run` runs in the sandbox: the expression per profile, as JSON."""
    return f"SELECT profile_id, to_json({compiled.sql}) FROM event_profiles GROUP BY profile_id"


def save_custom_trait(
    store: Store, settings: Settings, trait: CustomTrait, *, replace: bool = False
) -> TraitDefinition:
    """Validate ``trait`` and write it to traits.toml (409 if it exists and not ``replace``)."""
    with store.session() as s:
        validate_custom_trait(s, trait)
    path = traits_path(settings)
    with _file_lock:
        current = read_definitions(path)
        exists = any(t.name == trait.name for t in current)
        if exists and not replace:
            raise ConflictError(f"custom trait {trait.name!r} exists (use replace)")
        if not exists and len(current) >= MAX_CUSTOM_TRAITS:
            raise fail("name", "too_many", f"at most {MAX_CUSTOM_TRAITS} custom traits")
        updated = [trait if t.name == trait.name else t for t in current]
        _write(path, updated if exists else [*current, trait])
    return TraitDefinition(
        name=trait.name, kind="custom", description=trait.description, sql=trait.sql
    )


def delete_custom_trait(settings: Settings, name: str) -> None:
    """Remove a custom trait from traits.toml (its values go at the next refresh)."""
    path = traits_path(settings)
    with _file_lock:
        current = read_definitions(path)
        if not any(t.name == name for t in current):
            raise NotFoundError(f"no custom trait {name[:64]!r}")
        _write(path, [t for t in current if t.name != name])


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string once DEL, which JSON leaves raw, is escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _write(path: Path, traits: list[CustomTrait]) -> None:
    blocks = [
        "[[trait]]\n"
        f"name = {_toml_string(t.name)}\n"
        f"sql = {_toml_string(t.sql)}\n"
        f"description = {_toml_string(t.description)}\n"
        for t in traits
    ]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(_HEADER + "\n" + "\n".join(blocks), encoding="utf-8")
    os.replace(tmp, path)


def list_traits(settings: Settings) -> list[TraitDefinition]:
    """Built-in traits, then the custom ones with whether their expression is valid."""
    out = [
        TraitDefinition(name=n, kind="builtin", description=d) for n, d in BUILTIN_TRAITS.items()
    ]
    for trait in read_definitions(traits_path(settings)):
        item = TraitDefinition(
            name=trait.name, kind="custom", description=trait.description, sql=trait.sql
        )
        try:
            check_name(trait.name, builtins=BUILTIN_NAMES)
            compile_expression(trait.sql)
        except ValidationError as exc:
            item.valid, item.error = False, exc.message
        out.append(item)
    return out


def runnable_traits(session: Session, settings: Settings) -> list[tuple[str, Compiled]]:
    """(name, compiled SQL) of the custom traits a refresh computes. A hand-edited file with a
    bad entry must not stop ingest, so bad entries are skipped and logged, not raised."""
    try:
        traits = read_definitions(traits_path(settings))
    except ValidationError as exc:
        log.warning("ignoring %s: %s", TRAITS_FILE, exc.message)
        return []
    out: list[tuple[str, Compiled]] = []
    seen: set[str] = set()
    for trait in traits:
        try:
            if trait.name in seen:
                raise fail("name", "duplicate", f"{trait.name!r} is declared twice")
            out.append((trait.name, validate_custom_trait(session, trait)))
            seen.add(trait.name)
        except ValidationError as exc:
            log.warning("skipping custom trait %r: %s", trait.name, exc.message)
    return out
