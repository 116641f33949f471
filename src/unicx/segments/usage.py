"""Who uses a segment: other segments, journeys, offers and ad-audience syncs.

Deleting a segment that a journey enters from, an offer's eligibility tests or an audience sync
uploads would not fail anywhere: the condition would silently become false. So a delete first
asks here and is refused (409, naming them) unless forced, when the answer is reported instead.

This reads other domains' tables in SQL (their definitions are JSON that names the segment by id
or by name) instead of importing those domains, which sit above segments.
"""

from __future__ import annotations

import json

from unicx.segments.models import SegmentUsage
from unicx.store import Session

# A definition mentions the segment as a JSON string: its id, or its name in any case.
_USERS = """
SELECT 'segment' AS kind, segment_id AS id, name FROM segments
WHERE status = 'active' AND segment_id <> $id AND contains(CAST(definition AS VARCHAR), $id_json)
UNION ALL
SELECT 'journey', j.journey_id, j.name FROM journeys j
WHERE j.status <> 'archived' AND EXISTS (
  SELECT 1 FROM journey_versions v
  WHERE v.journey_id = j.journey_id AND v.version IN (j.latest_version, j.published_version)
    AND (contains(CAST(v.definition AS VARCHAR), $id_json)
         OR contains(lower(CAST(v.definition AS VARCHAR)), $name_json)
         OR contains(lower(CAST(v.definition AS VARCHAR)), $name_ascii)))
UNION ALL
SELECT 'offer', offer_id, name FROM offers
WHERE status = 'active' AND (contains(CAST(eligibility AS VARCHAR), $id_json)
                             OR contains(lower(CAST(eligibility AS VARCHAR)), $name_json)
                             OR contains(lower(CAST(eligibility AS VARCHAR)), $name_ascii))
UNION ALL
SELECT 'audience', sync_id, name FROM audience_syncs WHERE segment_id = $id
ORDER BY kind, name"""


def segment_users(session: Session, segment_id: str, name: str) -> list[SegmentUsage]:
    """Everything active that refers to the segment ``segment_id`` (named ``name``)."""
    params = {
        "id": segment_id,
        "id_json": json.dumps(segment_id),
        # Stored JSON may keep Vietnamese letters as they are or as \u escapes.
        "name_json": json.dumps(name.lower(), ensure_ascii=False),
        "name_ascii": json.dumps(name.lower()),
    }
    rows = session.fetchall(_USERS, params, step="segments.users")
    return [SegmentUsage(kind=k, id=str(i), name=str(n)) for k, i, n in rows]


def describe(users: list[SegmentUsage]) -> str:
    shown = ", ".join(f"{u.kind} {u.name!r}" for u in users[:5])
    more = f" and {len(users) - 5} more" if len(users) > 5 else ""
    return f"{shown}{more}"
