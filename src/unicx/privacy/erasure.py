"""Erasure of a person (right to be forgotten), end to end.

In one transaction every table of :data:`unicx.privacy.registry.PERSON_TABLES` loses the
person's rows, mentions of their e-mail or phone in other people's events are redacted
(:mod:`unicx.privacy.redact`), each identifier becomes a keyed tombstone
(:mod:`unicx.identity.keyed`) so late events carrying it are dropped, and the audit log records
the counts, never the data. Then the files of the workspace are cleaned
(:mod:`unicx.privacy.files`) and the database file is rewritten without the deleted rows
(:mod:`unicx.store.compact`): DuckDB neither overwrites deleted rows nor empties its WAL at
commit, so without that the values would stay readable in the file.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from unicx.config import Settings
from unicx.errors import FieldIssue, RetryableStoreError, ValidationError
from unicx.identity.keyed import pads, params, tombstone_sql
from unicx.privacy import audit
from unicx.privacy.export import require_profile
from unicx.privacy.files import PersonKeys, clean_files
from unicx.privacy.models import ErasureReport
from unicx.privacy.redact import redact_mentions
from unicx.privacy.registry import PERSON_TABLES, PersonTable, collect_person, drop_person
from unicx.profiles.derived import refresh_derived
from unicx.store import Session, Store
from unicx.store.compact import rewrite_database

log = logging.getLogger(__name__)

MAX_REQUEST_ID: Final = 128
# What audience syncs sent stays, detached from the profile, until each sync's next run: the
# "remove" delta is computed from it, so the platforms are told to drop the person.
ERASED_MEMBER: Final = "(erased)"
_KEEP_UNTIL_SYNCED: Final = {
    "audience_sync_members": f"UPDATE audience_sync_members SET profile_id = '{ERASED_MEMBER}'"
}
_TOMBSTONE_SQL = f"""
INSERT INTO tombstones (id_hash, id_type, erased_at, request_id)
SELECT DISTINCT {tombstone_sql("id_type", "id_value")}, id_type, ?, ? FROM px_ids
ON CONFLICT DO NOTHING
"""
# Events of other profiles whose derived tables need a refresh once the person is gone.
_OTHERS_SQL = """
SELECT DISTINCT profile_id FROM event_profiles
WHERE event_key IN (SELECT event_key FROM px_events)
  AND profile_id IS NOT NULL AND profile_id NOT IN (SELECT profile_id FROM px_profile)
"""


def erase_profile(
    store: Store,
    settings: Settings,
    profile_id: str,
    *,
    actor: str,
    request_id: str | None = None,
    forget_buffered: Callable[[str], object] | None = None,
) -> ErasureReport:
    """Erase the profile and everything about its person; NotFoundError if unknown.

    ``forget_buffered`` drops what the process holds in memory for the profile (the served
    recommendations log) before the rows are deleted."""
    request_id = _request_id(request_id)
    if forget_buffered is not None:
        forget_buffered(profile_id)
    report, keys = _erase_rows(store, settings, profile_id, actor=actor, request_id=request_id)
    if forget_buffered is not None:
        forget_buffered(profile_id)  # a line buffered meanwhile
    files = clean_files(settings, keys)
    report.files_changed = files.files_changed + files.files_deleted
    report.compacted = _compact(store)
    return report


def _erase_rows(
    store: Store, settings: Settings, profile_id: str, *, actor: str, request_id: str
) -> tuple[ErasureReport, PersonKeys]:
    erased_at = datetime.now(UTC)
    with store.profile_lock, store.session() as s, s.transaction():
        require_profile(s, profile_id)
        # The temp tables die with a failed transaction; only success needs to drop them.
        collect_person(s, [profile_id])
        keys = _keys(s)
        identifiers = _identifier_counts(s)
        others = [str(r[0]) for r in s.fetchall(_OTHERS_SQL, step="privacy.erase_others")]
        others += redact_mentions(s)
        tombstones = _count(
            s.fetchone(
                _TOMBSTONE_SQL, [*params(pads(s)), erased_at, request_id], step="privacy.tombstone"
            )
        )
        deleted = {entry.table: _delete(s, entry) for entry in PERSON_TABLES}
        drop_person(s)
        refresh_derived(s, settings, sorted(set(others) - {profile_id}))
        detail = {"request_id": request_id, "identifiers": identifiers, "deleted": deleted}
        audit.record(
            s,
            actor=actor,
            action="profile.erase",
            target=profile_id,
            detail={**detail, "tombstones": tombstones},
        )
    report = ErasureReport(
        profile_id=profile_id,
        request_id=request_id,
        erased_at=erased_at,
        identifiers=identifiers,
        deleted=deleted,
        tombstones=tombstones,
    )
    return report, keys


def _identifier_counts(s: Session) -> dict[str, int]:
    rows = s.fetchall(
        "SELECT id_type, count(*) FROM px_ids GROUP BY id_type ORDER BY id_type",
        step="privacy.erase_counts",
    )
    return {str(t): int(n) for t, n in rows}


def _keys(s: Session) -> PersonKeys:
    rows = s.fetchall("SELECT id_type, id_value FROM px_ids", step="privacy.erase_keys")
    by_type: dict[str, set[str]] = {"email": set(), "phone": set(), "other": set()}
    for id_type, value in rows:
        by_type.get(str(id_type), by_type["other"]).add(str(value))
    return PersonKeys(
        ids=frozenset(by_type["other"]),
        emails=frozenset(by_type["email"]),
        phones=frozenset(by_type["phone"]),
    )


def _compact(store: Store) -> bool:
    """Rewrite the file; False (logged) when sessions kept it busy: the next erasure does."""
    try:
        rewrite_database(store)
    except RetryableStoreError as exc:
        log.warning("database not rewritten after erasure: %s", exc)
        return False
    return True


def _delete(session: Session, entry: PersonTable) -> int:
    head = _KEEP_UNTIL_SYNCED.get(entry.table, f"DELETE FROM {entry.table}")
    return _count(
        session.fetchone(f"{head} WHERE {entry.where}", step=f"privacy.erase.{entry.table}")
    )


def _count(row: tuple[object, ...] | None) -> int:
    return int(str(row[0])) if row else 0


def _request_id(given: str | None) -> str:
    """The caller's reference for the request (a ticket number), or a new uuid."""
    if given is None:
        return str(uuid.uuid4())
    text = given.strip()
    if not text or len(text) > MAX_REQUEST_ID or not text.isprintable():
        issue = FieldIssue(
            "request_id", "format", f"1-{MAX_REQUEST_ID} printable characters (a ticket id)"
        )
        raise ValidationError("invalid request_id", issues=[issue])
    return text
