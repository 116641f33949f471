"""Erasure of a person (right to be forgotten), end to end and in one transaction.

Every table of :data:`unicx.privacy.registry.PERSON_TABLES` loses the person's rows, each
identifier becomes a tombstone (a hash, so late events carrying it are dropped instead of
recreating the profile), and the audit log records the counts, never the data. Either all of
it commits or nothing does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.privacy import audit
from unicx.privacy.export import require_profile
from unicx.privacy.models import ErasureReport
from unicx.privacy.registry import PERSON_TABLES, PersonTable, collect_person, drop_person
from unicx.profiles.derived import refresh_derived
from unicx.store import Session, Store

MAX_REQUEST_ID: Final = 128

# Other people's events can carry this person's email or phone (a refused merge, a shared
# address); erasing those events changes what their derived tables were computed from.
_OTHERS_SQL = """
SELECT DISTINCT profile_id FROM event_profiles
WHERE event_key IN (SELECT event_key FROM px_events)
  AND profile_id IS NOT NULL AND profile_id NOT IN (SELECT profile_id FROM px_profile)
"""
_TOMBSTONE_SQL = """
INSERT INTO tombstones (id_hash, id_type, erased_at, request_id)
SELECT DISTINCT sha256(id_type || ':' || id_value), id_type, ?, ? FROM px_ids
ON CONFLICT DO NOTHING
"""


def erase_profile(
    store: Store,
    settings: Settings,
    profile_id: str,
    *,
    actor: str,
    request_id: str | None = None,
) -> ErasureReport:
    """Erase the profile and everything about its person; NotFoundError if unknown."""
    request_id = _request_id(request_id)
    erased_at = datetime.now(UTC)
    with store.profile_lock, store.session() as s, s.transaction():
        require_profile(s, profile_id)
        # The temp tables die with a failed transaction; only success needs to drop them.
        collect_person(s, [profile_id])
        identifiers = {
            str(t): int(n)
            for t, n in s.fetchall(
                "SELECT id_type, count(*) FROM px_ids GROUP BY id_type ORDER BY id_type",
                step="privacy.erase_counts",
            )
        }
        others = [str(r[0]) for r in s.fetchall(_OTHERS_SQL, step="privacy.erase_others")]
        tombstones = _count(
            s.fetchone(_TOMBSTONE_SQL, [erased_at, request_id], step="privacy.tombstone")
        )
        deleted = {entry.table: _delete(s, entry) for entry in PERSON_TABLES}
        drop_person(s)
        refresh_derived(s, settings, others)
        audit.record(
            s,
            actor=actor,
            action="profile.erase",
            target=profile_id,
            detail={
                "request_id": request_id,
                "identifiers": identifiers,
                "deleted": deleted,
                "tombstones": tombstones,
            },
        )
    return ErasureReport(
        profile_id=profile_id,
        request_id=request_id,
        erased_at=erased_at,
        identifiers=identifiers,
        deleted=deleted,
        tombstones=tombstones,
    )


def _delete(session: Session, entry: PersonTable) -> int:
    return _count(
        session.fetchone(
            f"DELETE FROM {entry.table} WHERE {entry.where}", step=f"privacy.erase.{entry.table}"
        )
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
