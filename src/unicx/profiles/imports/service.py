"""Bulk import of profiles and orders: a file becomes events, in one transaction.

Rows that break a rule are reported (row, column, rule) and written to the rejects file; the
others are imported, like every CDP's CSV import. Any failure of the write itself rolls back
everything, so a failed import leaves the workspace as it was. After the commit, identity
resolution and derived traits run as for tracked events, and profile imports run matching.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from unicx.config import Settings
from unicx.errors import (
    ConflictError,
    ConstraintViolationError,
    FieldIssue,
    NotFoundError,
    UnicxError,
    ValidationError,
)
from unicx.profiles.imports.load import ImportLoad
from unicx.profiles.imports.mapping import ColumnMap, resolve_mapping
from unicx.profiles.imports.models import IMPORT_KINDS, ImportKind, ImportReport
from unicx.profiles.imports.parse import DateOrder
from unicx.profiles.imports.reader import Source, open_source
from unicx.profiles.imports.rejects import RejectsFile
from unicx.profiles.imports.rows import RowBuilder
from unicx.profiles.imports.steps import ChunkImporter
from unicx.profiles.imports.validate import Rules
from unicx.store import Session, Store

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def imports_dir(settings: Settings) -> Path:
    """Uploaded files and rejects files live here, inside the workspace."""
    return settings.workspace / "imports"


# Uploads being imported right now in this process; any other ``upload_*`` file is a leftover
# of a crash (uploads are deleted once imported) and erasure removes it.
_uploads_in_use: set[Path] = set()
_uploads_lock = threading.Lock()


def hold_upload(path: Path) -> None:
    with _uploads_lock:
        _uploads_in_use.add(path)


def release_upload(path: Path) -> None:
    with _uploads_lock:
        _uploads_in_use.discard(path)


def upload_leftovers(settings: Settings) -> list[Path]:
    """``upload_*`` files no import of this process is reading."""
    with _uploads_lock:
        busy = set(_uploads_in_use)
    return [p for p in imports_dir(settings).glob("upload_*") if p not in busy]


def new_import_id(now: datetime) -> str:
    return f"imp_{now:%Y%m%d%H%M%S}_{uuid.uuid4().hex[:8]}"


def run_import(
    store: Store,
    settings: Settings,
    *,
    kind: ImportKind,
    path: Path,
    mapping: dict[str, str] | None,
    encoding: str | None,
    actor: str,
    progress: Progress | None = None,
    keep_unmapped: bool = False,
    max_errors: int | None = None,
    date_order: DateOrder = "dmy",
    file_name: str | None = None,
    max_bytes: int | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind``; raises ValidationError before writing if the file or the
    mapping is unusable, or (rolling back) when more than ``max_errors`` rows are rejected."""
    if kind not in IMPORT_KINDS:
        raise ValidationError(
            f"unknown import kind {kind!r}: profiles or orders",
            issues=[FieldIssue("kind", "enum", "profiles or orders")],
        )
    source = open_source(path, encoding=encoding, max_bytes=max_bytes)
    cmap = resolve_mapping(kind, source.columns, mapping, keep_unmapped=keep_unmapped)
    now = datetime.now(UTC)
    import_id = new_import_id(now)
    report = ImportReport(
        import_id=import_id,
        kind=kind,
        file_name=file_name or path.name,
        file_format=source.file_format,
        encoding=source.encoding,
        total_rows=0,
        created_at=now,
        actor=actor,
    )
    rejects = RejectsFile(imports_dir(settings) / f"{import_id}.rejects.csv", source.columns)
    rules = Rules.build(kind, cmap, settings, now=now, order=date_order)
    builder = RowBuilder(import_id=import_id, now=now, timezone=settings.timezone)
    with store.session() as session:
        load = ImportLoad(session)
        try:
            step = ChunkImporter(rules, builder, load, rejects, report, max_errors=max_errors)
            _write(session, source, step, progress, cmap)
            _after_commit(store, settings, load, report, since=now)
        finally:
            load.close()
    return report


def _write(
    session: Session,
    source: Source,
    step: ChunkImporter,
    progress: Progress | None,
    cmap: ColumnMap,
) -> None:
    report = step.report
    try:
        with session.transaction():
            try:
                for chunk in source.chunks():
                    step.run(chunk)
                    if progress is not None:
                        progress(report.total_rows, source.total_rows)
                step.finish()
                report.finished_at = datetime.now(UTC)
                report.rejects_path = str(step.rejects.path) if step.rejects.rows else None
                step.rejects.close()
                mapping = json.dumps(cmap.as_dict(), ensure_ascii=False)
                step.load.record(report, sha256=source.sha256, mapping=mapping)
            finally:
                step.load.settle()  # the rollback must not race an insert still running
    except ConstraintViolationError as exc:
        step.rejects.discard()
        raise ConflictError(
            "another import stored some of these rows first; run this import again "
            "(it is idempotent)"
        ) from exc
    except ValidationError:
        step.rejects.close()  # rows rejected so far explain a --max-errors stop: keep them
        raise
    except BaseException:
        step.rejects.discard()
        raise


def _after_commit(
    store: Store, settings: Settings, load: ImportLoad, report: ImportReport, *, since: datetime
) -> None:
    """Resolve the new events into profiles now rather than at the updater's next pass, then
    match the imported people against the workspace. The import itself is already committed:
    a failure here is reported as a warning and the next pass or `unicx identity match` redoes it.
    """
    update = _optional("unicx.profiles.pipeline", "update_profiles")
    match = _optional("unicx.identity.matching", "match_profiles")
    try:
        if update is not None and report.events_written:
            update(store, settings, since=since)
        if match is not None and report.kind == "profiles" and report.accepted:
            profile_ids = load.touched_profiles()
            if profile_ids:
                match(store, settings, profile_ids=profile_ids, actor=report.actor or "import")
    except UnicxError as exc:
        log.warning("import %s committed, follow-up failed: %s", report.import_id, exc.message)
        report.warnings.append(f"profiles not updated yet: {exc.message}")
        load.set_warnings(report.import_id, report.warnings)


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A step another part of unicx provides; absent in a partial build, so skipped with a log."""
    try:
        found: Callable[..., Any] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        log.info("import: %s.%s is not available; skipped", module, name)
        return None
    return found


def list_imports(store: Store, *, limit: int = 100) -> list[ImportReport]:
    with store.session() as s:
        rows = s.fetch_dicts(
            f"{_SELECT} ORDER BY created_at DESC, import_id DESC LIMIT ?",
            [limit],
            step="imports.list",
        )
    return [_report(r) for r in rows]


def get_import(store: Store, import_id: str) -> ImportReport:
    with store.session() as s:
        rows = s.fetch_dicts(f"{_SELECT} WHERE import_id = ?", [import_id], step="imports.get")
    if not rows:
        raise NotFoundError(f"no import {import_id}")
    return _report(rows[0])


_SELECT = (
    "SELECT import_id, kind, file_name, file_format, encoding, status, total_rows, accepted, "
    "rejected, duplicates, already_imported, events_written, rejects_path, created_at, "
    "finished_at, actor, errors, warnings FROM imports"
)


def _report(row: dict[str, Any]) -> ImportReport:
    row["errors"] = json.loads(row["errors"] or "[]")
    row["warnings"] = json.loads(row["warnings"] or "[]")
    return ImportReport.model_validate(row)
