"""Which profiles a derived-table refresh covers, as SQL over ``event_profiles`` rows.

A full refresh reads the ``event_profiles`` view. An incremental one first copies the events of
its profiles into a temporary table in two cheap steps, because filtering the view by profile
makes DuckDB resolve every event before filtering and read every wide JSON column
(bench/traits.py: 1.7 s for one profile out of 100,000 with 2M events, against ~0.06 s):

1. the targets' user and anonymous ids are fetched and registered as Arrow tables (exact,
   small build sides, so the semi-joins become filters inside the ``events`` scan), and the
   matching ``rowid``s are collected from the narrow ``user_id``/``anonymous_id`` columns;
2. the wide rows are fetched by ``rowid`` and resolved to profiles exactly as the view does
   (user_id's profile, else anonymous_id's), keeping the targets' rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from unicx.store import Session

TARGETS = "unicx_trait_targets"
EVENTS = "unicx_trait_events"
_USER_IDS = "unicx_trait_user_ids"
_ANON_IDS = "unicx_trait_anon_ids"

# Mirrors the event_profiles view (migration 2); tests compare it with a full refresh.
_COPY_EVENTS = f"""CREATE OR REPLACE TEMP TABLE {EVENTS} AS
WITH picked AS (
  SELECT * FROM events WHERE rowid IN (
    SELECT rowid FROM events WHERE user_id IN (SELECT id_value FROM {_USER_IDS})
    UNION
    SELECT rowid FROM events WHERE anonymous_id IN (SELECT id_value FROM {_ANON_IDS})
  )
),
resolved AS (
  SELECT e.*, coalesce(u.profile_id, a.profile_id) AS profile_id
  FROM picked e
  LEFT JOIN identities u ON u.id_type = 'user_id' AND u.id_value = e.user_id
  LEFT JOIN identities a ON a.id_type = 'anonymous_id' AND a.id_value = e.anonymous_id
)
SELECT * FROM resolved WHERE profile_id IN (SELECT profile_id FROM {TARGETS})"""


@dataclass(frozen=True)
class Scope:
    """``events``: what follows FROM to read the event_profiles rows in scope (a relation and
    its WHERE condition, so callers may append ``AND ...``); ``rows``: a condition on a
    derived table's rows."""

    full: bool
    events: str
    rows: str

    def clear(self, session: Session, table: str) -> None:
        """Delete ``table``'s rows for the profiles in scope (``table`` is a constant name)."""
        session.execute(f"DELETE FROM {table} WHERE {self.rows}", step=f"traits.clear.{table}")


FULL = Scope(full=True, events="event_profiles WHERE profile_id IS NOT NULL", rows="true")


@contextmanager
def scope_for(session: Session, profile_ids: list[str] | None) -> Iterator[Scope]:
    """The scope of ``profile_ids`` (None: every profile), set up for the block's length."""
    if profile_ids is None:
        yield FULL
        return
    unique = sorted(set(profile_ids))
    active = session.local.get("scope")
    if active is not None and active[0] == unique:
        # An enclosing block (refresh_derived) already copied these profiles' events.
        yield active[1]
        return
    session.register(TARGETS, pa.table({"profile_id": pa.array(unique, type=pa.string())}))
    try:
        for name, id_type in ((_USER_IDS, "user_id"), (_ANON_IDS, "anonymous_id")):
            ids = session.execute(
                f"SELECT i.id_value FROM identities i JOIN {TARGETS} t USING (profile_id) "
                "WHERE i.id_type = ?",
                [id_type],
                step="traits.scope_ids",
            ).to_arrow_table()
            session.register(name, ids)
        session.execute(_COPY_EVENTS, step="traits.scope_events")
        scope = Scope(
            full=False,
            events=f"{EVENTS} WHERE true",
            rows=f"profile_id IN (SELECT profile_id FROM {TARGETS})",
        )
        session.local["scope"] = (unique, scope)
        try:
            yield scope
        finally:
            session.local.pop("scope", None)
        # Not in `finally`: after a failure the transaction is aborted and a DROP would mask
        # the error; the rollback discards the table (and CREATE OR REPLACE covers autocommit).
        session.execute(f"DROP TABLE IF EXISTS {EVENTS}", step="traits.scope_drop")
    finally:
        for name in (TARGETS, _USER_IDS, _ANON_IDS):
            session.unregister(name)


def params_for(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``sql`` uses: DuckDB refuses unused ones."""
    return {k: v for k, v in values.items() if f"${k}" in sql}
