"""Identifiers carried by events (and by manual/match links), normalized, as one temp table.

``obs(grp, ts, id_type, id_value)``: each group is one event (or one link) whose identifiers
belong together (an identifier may appear twice in a group). Extraction is set-based: SQL
pulls the raw values out of the columns and JSON, plain e-mail addresses are normalized in
SQL, and only the remaining distinct email and phone strings go through Python (phonenumbers
and email-validator have no SQL equivalent), then join back.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from unicx.identity.keyed import pads, params, tombstone_sql
from unicx.identity.models import BUILTIN_TYPES, CUSTOM_TYPE_PATTERN
from unicx.identity.normalize import (
    MAX_IDENTIFIER_LENGTH,
    PLACEHOLDER_EMAILS,
    PLACEHOLDERS,
    PLAIN_EMAIL_MAX_LENGTH,
    PLAIN_EMAIL_PATTERN,
    SPECIAL_USE_TLDS,
    normalize_email,
    normalize_phone,
)
from unicx.store import Session

# user_id/anonymous_id are already trimmed at ingest. An alias's previousId is usually the
# anonymous id the person had before identifying, so it is linked as one.
_RAW_SQL = """
CREATE OR REPLACE TEMP TABLE obs_raw AS
WITH ev AS (
    SELECT event_key AS grp, timestamp AS ts, user_id, anonymous_id, previous_id, traits, context
    FROM events WHERE {where}
)
SELECT grp, ts, 'user_id' AS id_type, user_id AS raw FROM ev WHERE user_id IS NOT NULL
UNION ALL SELECT grp, ts, 'anonymous_id', anonymous_id FROM ev WHERE anonymous_id IS NOT NULL
UNION ALL SELECT grp, ts, 'anonymous_id', previous_id FROM ev WHERE previous_id IS NOT NULL
UNION ALL SELECT grp, ts, 'email', traits->>'$.email' FROM ev
    WHERE traits->>'$.email' IS NOT NULL
UNION ALL SELECT grp, ts, 'email', context->>'$.traits.email' FROM ev
    WHERE context->>'$.traits.email' IS NOT NULL
UNION ALL SELECT grp, ts, 'phone', traits->>'$.phone' FROM ev
    WHERE traits->>'$.phone' IS NOT NULL
UNION ALL SELECT grp, ts, 'phone', context->>'$.traits.phone' FROM ev
    WHERE context->>'$.traits.phone' IS NOT NULL
UNION ALL SELECT grp, ts, 'device_id', context->>'$.device.id' FROM ev
    WHERE context->>'$.device.id' IS NOT NULL
UNION ALL SELECT grp, ts, lower(trim(x->>'$.type')), x->>'$.id'
    FROM ev, unnest(CAST(context->'$.externalIds' AS JSON[])) AS t(x)
    WHERE json_type(context->'$.externalIds') = 'ARRAY' AND x->>'$.id' IS NOT NULL
"""

# Links made by matching or by hand become two-identifier groups of their own.
_LINKS_SQL = """
INSERT INTO obs_raw
SELECT hash('link', a_type, a_value, b_type, b_value, created_at)::UHUGEINT, created_at,
       a_type, a_value FROM identity_links
UNION ALL
SELECT hash('link', a_type, a_value, b_type, b_value, created_at)::UHUGEINT, created_at,
       b_type, b_value FROM identity_links
"""

# Plain e-mail addresses are normalized here, in SQL, by the same rule as is_plain_email; the
# rest (phones, unusual addresses) are left NULL for Python to fill in.
_CONTACT_VALUES_SQL = """
CREATE OR REPLACE TEMP TABLE contact_norm AS
SELECT id_type, raw,
    CASE WHEN id_type = 'email' AND length(e) <= ? AND regexp_full_match(e, ?)
        AND NOT list_contains(?::VARCHAR[], e)
        AND NOT list_contains(?::VARCHAR[], regexp_extract(e, '[a-z]+$'))
    THEN e END AS norm
FROM (
    SELECT DISTINCT id_type, raw, lower(trim(raw)) AS e FROM obs_raw
    WHERE id_type IN ('email', 'phone') AND length(raw) <= 256
)
"""

# Not deduplicated: an identifier repeated within one group (traits.email and
# context.traits.email, say) is harmless to every later step, and a DISTINCT over every
# observation was the most expensive statement of a rebuild.
_OBS_SQL = """
CREATE OR REPLACE TEMP TABLE obs AS
SELECT o.grp, o.ts, o.id_type, c.norm AS id_value
FROM obs_raw o JOIN contact_norm c ON c.id_type = o.id_type AND c.raw = o.raw
WHERE o.id_type IN ('email', 'phone') AND c.norm IS NOT NULL
UNION ALL
SELECT grp, ts, id_type, trim(raw) FROM obs_raw
WHERE id_type NOT IN ('email', 'phone')
    AND length(trim(raw)) BETWEEN 1 AND ?
    AND NOT list_contains(?::VARCHAR[], lower(trim(raw)))
    AND (id_type IN ('user_id', 'anonymous_id', 'device_id')
         OR (regexp_full_match(id_type, ?) AND NOT list_contains(?::VARCHAR[], id_type)))
"""

# An erased person's identifiers come back only as hashes: events carrying one are dropped
# before they can recreate the profile. Device ids are exempt: the next person on a shared
# device must not lose their events because someone else used it before.
_TOMBSTONED_SQL = f"""
CREATE OR REPLACE TEMP TABLE obs_dead AS
SELECT DISTINCT o.grp FROM obs o
JOIN tombstones t ON t.id_hash = {tombstone_sql("o.id_type", "o.id_value")}
WHERE o.id_type <> 'device_id'
"""


def extract(session: Session, *, since: datetime | None, include_links: bool = False) -> int:
    """Build temp table ``obs`` from events received at/after ``since`` (all when None).

    Events carrying an erased identifier are deleted here. Returns how many were deleted.
    """
    where = "received_at >= ?" if since is not None else "true"
    params = [since] if since is not None else None
    session.execute(_RAW_SQL.format(where=where), params, step="identity.extract_raw")
    if include_links:
        session.execute(_LINKS_SQL, step="identity.extract_links")
    _normalize_contacts(session)
    session.execute(
        _OBS_SQL,
        [MAX_IDENTIFIER_LENGTH, sorted(PLACEHOLDERS), CUSTOM_TYPE_PATTERN, list(BUILTIN_TYPES)],
        step="identity.extract_normalize",
    )
    session.execute("DROP TABLE contact_norm", step="identity.contact_drop")
    return _drop_tombstoned(session)


def _normalize_contacts(session: Session) -> None:
    session.execute(
        _CONTACT_VALUES_SQL,
        [PLAIN_EMAIL_MAX_LENGTH, PLAIN_EMAIL_PATTERN, sorted(PLACEHOLDER_EMAILS), SPECIAL_USE_TLDS],
        step="identity.contact_values",
    )
    rows = session.fetchall(
        "SELECT id_type, raw FROM contact_norm WHERE norm IS NULL", step="identity.contact_rest"
    )
    if not rows:
        return
    types: list[str] = []
    raws: list[str] = []
    norms: list[str | None] = []
    for id_type, raw in rows:
        norm = normalize_email(raw) if id_type == "email" else normalize_phone(raw)
        types.append(id_type)
        raws.append(raw)
        norms.append(norm)
    table = pa.table(
        {
            "id_type": pa.array(types, pa.string()),
            "raw": pa.array(raws, pa.string()),
            "norm": pa.array(norms, pa.string()),
        }
    )
    session.register("contact_rest", table)
    try:
        session.execute(
            "UPDATE contact_norm c SET norm = r.norm FROM contact_rest r "
            "WHERE c.id_type = r.id_type AND c.raw = r.raw AND r.norm IS NOT NULL",
            step="identity.contact_fill",
        )
    finally:
        session.unregister("contact_rest")


def _drop_tombstoned(session: Session) -> int:
    # An empty tombstones table is the common case: skip hashing every identifier of the window.
    if session.fetchone("SELECT 1 FROM tombstones LIMIT 1", step="identity.any_tombstone") is None:
        return 0
    session.execute(_TOMBSTONED_SQL, params(pads(session)), step="identity.tombstoned")
    row = session.fetchone("SELECT count(*) FROM obs_dead", step="identity.tombstoned_count")
    dead = int(row[0]) if row else 0
    if dead:
        session.execute(
            "DELETE FROM events WHERE event_key IN (SELECT grp FROM obs_dead)",
            step="identity.drop_tombstoned_events",
        )
        session.execute(
            "DELETE FROM obs WHERE grp IN (SELECT grp FROM obs_dead)", step="identity.drop_dead"
        )
    return dead
