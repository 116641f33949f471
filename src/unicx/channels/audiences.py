"""Ad-audience syncs: a segment kept in step with a customer list on an ad platform.

A sync names a segment and a destination (:mod:`unicx.channels.ads`). Each run writes CSV
files under ``{workspace}/audiences/{slug of the sync name}/``:

- ``full``: ``{time}_full.csv``, every current member's hashed identifiers (upload it in the
  platform's "replace" mode);
- ``delta``: ``{time}_add.csv`` and ``{time}_remove.csv`` against what the previous run sent
  (``audience_sync_members``), so a person who left the segment or withdrew ads consent is
  removed from the platform.

A run happens when asked (API, CLI) or, with ``config.every``, on a schedule while the server
runs (:mod:`unicx.channels.audience_schedule`).

A run's database changes and its files succeed or fail together: files are written to
temporary names, renamed into place just before the transaction commits, and deleted again
if anything fails, so the next delta is always computed against what was really written.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError as PydanticValidationError

from unicx.channels.ads import DESTINATIONS, current_keys_sql, publish, write_csv
from unicx.channels.audience_models import (
    MAX_NAME,
    MODES,
    AudienceConfig,
    AudienceCreate,
    AudienceSync,
    AudienceUpdate,
    Mode,
    SyncRun,
)
from unicx.channels.config import pydantic_issues
from unicx.config import Settings
from unicx.errors import (
    ConflictError,
    FieldIssue,
    NotFoundError,
    RetryableStoreError,
    ValidationError,
)
from unicx.identity.normalize import fold_name
from unicx.privacy.erasure import ERASED_MEMBER
from unicx.store import Session, Store
from unicx.store.compact import rewrite_database

# The models live in audience_models.py; the API and the scheduler import them from here.
__all__ = [
    "AudienceConfig",
    "AudienceCreate",
    "AudienceSync",
    "AudienceUpdate",
    "Mode",
    "SyncRun",
    "create_sync",
    "get_sync",
    "list_runs",
    "list_syncs",
    "run_sync",
    "slug",
    "sync_mode",
    "update_sync",
]

log = logging.getLogger(__name__)
AUDIENCES_DIR: Final = "audiences"

_SLUG_CUT = re.compile(r"[^a-z0-9]+")
# One run at a time in this process: two runs of one sync would diff against the same state.
_run_lock = threading.Lock()


def _invalid(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", issues=[FieldIssue(field, rule, message)])


def slug(name: str) -> str:
    """A folder name from a sync name: ASCII letters, digits and dashes (no path parts)."""
    return _SLUG_CUT.sub("-", fold_name(name)).strip("-")[:60]


def create_sync(
    store: Store,
    *,
    name: str,
    segment_ref: str,
    destination: str,
    config: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AudienceSync:
    """Save a new sync of segment ``segment_ref`` (id or name) to ``destination``."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable() or not slug(name):
        raise _invalid("name", "name", f"1-{MAX_NAME} printable characters with a letter or digit")
    if destination not in DESTINATIONS:
        raise _invalid("destination", "enum", f"one of {', '.join(DESTINATIONS)}")
    parsed = _parse_config(config)
    now = now or datetime.now(UTC)
    with store.session() as s, s.transaction():
        segment_id = _segment_id(s, segment_ref)
        names = s.fetchall("SELECT name FROM audience_syncs", step="aud.names")
        taken = {slug(str(r[0])) for r in names}
        if slug(name) in taken:
            raise ConflictError(f"an audience sync named like {name[:100]!r} exists")
        sync_id = "aud_" + uuid.uuid4().hex[:16]
        s.execute(
            "INSERT INTO audience_syncs VALUES (?, ?, ?, ?, ?, ?, NULL)",
            [sync_id, name, segment_id, destination, parsed.model_dump_json(), now],
            step="aud.create",
        )
        return _get(s, sync_id)


def update_sync(store: Store, ref: str, config: dict[str, Any]) -> AudienceSync:
    """Replace a sync's config. What was sent stays: the next delta diffs against it, so
    dropping an identifier type removes those keys from the platform."""
    parsed = _parse_config(config)
    with store.session() as s, s.transaction():
        sync_id = _get(s, ref).sync_id
        s.execute(
            "UPDATE audience_syncs SET config = ? WHERE sync_id = ?",
            [parsed.model_dump_json(), sync_id],
            step="aud.update",
        )
        return _get(s, sync_id)


def _parse_config(config: dict[str, Any] | None) -> AudienceConfig:
    try:
        return AudienceConfig.model_validate(config or {})
    except PydanticValidationError as exc:
        issues = pydantic_issues(exc, "config")
        detail = "; ".join(f"{i.field}: {i.message}" for i in issues)
        raise ValidationError(f"invalid audience config: {detail}", issues=issues) from None


def _segment_id(s: Session, ref: str) -> str:
    row = s.fetchone(
        "SELECT segment_id FROM segments WHERE status = 'active' "
        "AND (segment_id = ? OR lower(name) = lower(?))",
        [ref, ref],
        step="aud.segment",
    )
    if row is None:
        raise _invalid("segment", "unknown_segment", f"no active segment {ref[:100]!r}")
    return str(row[0])


def _get(s: Session, ref: str) -> AudienceSync:
    rows = s.fetch_dicts(
        "SELECT *, CAST(config AS VARCHAR) AS config FROM audience_syncs "
        "WHERE sync_id = ? OR lower(name) = lower(?) ORDER BY sync_id = ? DESC LIMIT 1",
        [ref, ref, ref],
        step="aud.get",
    )
    if not rows:
        raise NotFoundError(f"no audience sync {ref[:100]!r}")
    return _public(rows[0])


def _public(row: dict[str, Any]) -> AudienceSync:
    config = AudienceConfig.model_validate_json(row.pop("config"))
    return AudienceSync(**row, config=config, slug=slug(row["name"]))


def get_sync(store: Store, ref: str) -> AudienceSync:
    with store.session() as s:
        return _get(s, ref)


def list_syncs(store: Store) -> list[AudienceSync]:
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT *, CAST(config AS VARCHAR) AS config FROM audience_syncs ORDER BY name",
            step="aud.list",
        )
    return [_public(r) for r in rows]


def list_runs(store: Store, ref: str, *, limit: int = 100) -> list[SyncRun]:
    """The sync's runs, newest first."""
    with store.session() as s:
        sync_id = _get(s, ref).sync_id
        rows = s.fetch_dicts(
            "SELECT sync_id, kind, run_at, added, removed, CAST(files AS VARCHAR) AS files "
            "FROM audience_sync_runs WHERE sync_id = ? ORDER BY run_at DESC LIMIT ?",
            [sync_id, max(1, min(limit, 1000))],
            step="aud.runs",
        )
    return [SyncRun(**{**r, "files": json.loads(r["files"])}) for r in rows]


def run_sync(
    store: Store, settings: Settings, sync_id: str, *, mode: str, now: datetime | None = None
) -> SyncRun:
    """Write the sync's files for ``mode`` (full | delta) and remember what was sent."""
    if mode not in MODES:
        raise _invalid("mode", "enum", "full or delta")
    now = now or datetime.now(UTC)
    published: list[Path] = []
    with _run_lock:
        try:
            with store.session() as s, s.transaction():
                sync = _get(s, sync_id)
                erased = _erased_members(s, sync.sync_id)
                run = _diff_and_write(s, settings, sync, mode, now, published)
        except BaseException:
            # The transaction rolled back: the files must not outlive it.
            for path in published:
                path.unlink(missing_ok=True)
            raise
    if erased:
        _compact_after_erasure(store)
    return run


def _erased_members(s: Session, sync_id: str) -> int:
    """Identifiers of erased people kept only to send their removal (privacy.erasure)."""
    row = s.fetchone(
        "SELECT count(*) FROM audience_sync_members WHERE sync_id = ? AND profile_id = ?",
        [sync_id, ERASED_MEMBER],
        step="aud.erased",
    )
    return int(row[0]) if row else 0


def _compact_after_erasure(store: Store) -> None:
    """The removal is sent and the rows deleted; the file must not keep their bytes."""
    try:
        rewrite_database(store)
    except RetryableStoreError as exc:
        log.warning("database not rewritten after sending erased people's removal: %s", exc)


_KEYS_SQL: Final[dict[str, str]] = {
    "full": "SELECT key_type, hashed FROM {cur}",
    "add": "SELECT key_type, hashed FROM {cur} c WHERE NOT EXISTS (SELECT 1 FROM "
    "audience_sync_members m WHERE m.sync_id = $sync AND m.key_type = c.key_type "
    "AND m.hashed = c.hashed)",
    "remove": "SELECT key_type, hashed FROM audience_sync_members m WHERE m.sync_id = $sync "
    "AND NOT EXISTS (SELECT 1 FROM {cur} c WHERE c.key_type = m.key_type "
    "AND c.hashed = m.hashed)",
}
_PAGE: Final = 10_000


def _diff_and_write(
    s: Session, settings: Settings, sync: AudienceSync, mode: str, now: datetime, made: list[Path]
) -> SyncRun:
    active = s.fetchone(
        "SELECT 1 FROM segments WHERE segment_id = ? AND status = 'active'",
        [sync.segment_id],
        step="aud.segment_active",
    )
    if active is None:
        raise ConflictError(f"the segment of audience sync {sync.name!r} was deleted")
    cur = f"aud_current_{uuid.uuid4().hex[:12]}"
    s.execute(
        f"CREATE TEMP TABLE {cur} AS {current_keys_sql(DESTINATIONS[sync.destination])}",
        {"segment": sync.segment_id, "types": list(sync.config.identifiers)},
        step="aud.current",
    )
    try:
        added, removed = (_count(s, cur, sync.sync_id, kind) for kind in ("add", "remove"))
        kinds = ("full",) if mode == "full" else ("add", "remove")
        written = [_write(s, settings, sync, cur, kind, now, made) for kind in kinds]
        files = [p.relative_to(settings.workspace).as_posix() for _, p in written]
        _remember(s, cur, sync, now)
        s.execute(
            "INSERT INTO audience_sync_runs VALUES (?, ?, ?, ?, ?, ?)",
            [sync.sync_id, now, mode, added, removed, json.dumps(files)],
            step="aud.run_log",
        )
        for tmp, path in written:  # last, so a failure above leaves no file in place
            publish(tmp, path)
            made.append(path)
    finally:
        s.execute(f"DROP TABLE IF EXISTS {cur}", step="aud.drop_current")
    return SyncRun(
        sync_id=sync.sync_id, kind=sync_mode(mode), run_at=now, added=added, removed=removed,
        files=files,
    )  # fmt: skip


def sync_mode(mode: str) -> Mode:
    return "full" if mode == "full" else "delta"


def keys_sql(kind: str, cur: str) -> str:
    """The hashed keys of a ``full`` file, or those to ``add``/``remove`` against what the
    destination was last sent, given the current keys in temp table ``cur``; sorted."""
    return f"{_KEYS_SQL[kind].format(cur=cur)} ORDER BY key_type, hashed"


def keys_count_sql(kind: str, cur: str) -> str:
    """How many keys :func:`keys_sql` lists."""
    return f"SELECT count(*) FROM ({_KEYS_SQL[kind].format(cur=cur)})"


def _keys(s: Session, cur: str, sync_id: str, kind: str) -> Any:
    sql = keys_sql(kind, cur)
    params = {"sync": sync_id} if "$sync" in sql else None
    return s.execute(sql, params, step=f"aud.keys_{kind}")


def _count(s: Session, cur: str, sync_id: str, kind: str) -> int:
    sql = keys_count_sql(kind, cur)
    params = {"sync": sync_id} if "$sync" in sql else None
    row = s.fetchone(sql, params, step=f"aud.count_{kind}")
    return int(row[0]) if row else 0


def _write(
    s: Session,
    settings: Settings,
    sync: AudienceSync,
    cur: str,
    kind: str,
    now: datetime,
    made: list[Path],
) -> tuple[Path, Path]:
    """Write one file under a temporary name; (temporary path, final path)."""
    folder = settings.workspace / AUDIENCES_DIR / sync.slug
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    path = folder / f"{stamp}_{kind}.csv"
    cursor = _keys(s, cur, sync.sync_id, kind)

    def rows() -> Any:
        while page := cursor.fetchmany(_PAGE):
            yield from page

    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    made.append(tmp)
    write_csv(tmp, DESTINATIONS[sync.destination], rows())
    return tmp, path


def _remember(s: Session, cur: str, sync: AudienceSync, now: datetime) -> None:
    """What this run sent becomes what the next delta is computed against."""
    s.execute(
        "DELETE FROM audience_sync_members WHERE sync_id = ?", [sync.sync_id], step="aud.forget"
    )
    s.execute(
        f"INSERT INTO audience_sync_members SELECT ?, profile_id, key_type, hashed FROM {cur}",
        [sync.sync_id],
        step="aud.remember",
    )
    s.execute(
        "UPDATE audience_syncs SET last_run_at = ? WHERE sync_id = ?",
        [now, sync.sync_id],
        step="aud.last_run",
    )
