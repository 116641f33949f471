"""Materialized membership: evaluate a compiled segment and apply the difference.

Evaluation runs over the whole workspace or over a scope of profiles (those an ingest pass
touched, those whose window edge passed). Applying a result only writes the difference: people
who entered or exited are appended to ``segment_changes`` (the ``Segment Entered`` / ``Segment
Exited`` records journeys and destinations read), ``segment_members`` is updated, and today's row
of ``segment_sizes`` (workspace time zone) carries the size and the day's entries and exits.
Everything happens in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from unicx.profiles.refresh_scope import EVENTS, TARGETS, scope_for
from unicx.segments.compiler import SCOPED_TABLES, Compiled, used_params
from unicx.store import Session

NEW = "unicx_seg_new"
DELTA = "unicx_seg_delta"


@dataclass(frozen=True)
class Relations:
    """What the compiled SQL's tokens stand for in one evaluation."""

    events: str = "event_profiles"
    tables: dict[str, str] = field(default_factory=dict)
    scope: str = ""

    @property
    def full(self) -> bool:
        return not self.scope


FULL = Relations()


@contextmanager
def relations_for(
    session: Session, profile_ids: list[str] | None, *, traits: set[str] | None = None
) -> Iterator[Relations]:
    """The relations of a full evaluation (None) or of one over ``profile_ids``; ``traits``:
    the trait names the segments read (the scope copies only those rows)."""
    if profile_ids is None:
        yield FULL
        return
    with scope_for(session, profile_ids):
        tables = {}
        for table in SCOPED_TABLES:  # constant names
            tables[table] = f"unicx_seg_{table}"
            named = table.endswith("_traits")
            session.execute(
                f"CREATE OR REPLACE TEMP TABLE unicx_seg_{table} AS SELECT * FROM {table} "
                f"WHERE {'list_contains($names, name) AND ' if named else ''}"
                f"profile_id IN (SELECT profile_id FROM {TARGETS})",
                {"names": sorted(traits or ())} if named else None,
                step="segments.scope_rows",
            )
        yield Relations(
            events=EVENTS,
            scope=f"AND profile_id IN (SELECT profile_id FROM {TARGETS})",
            tables=tables,
        )
        for table in tables.values():
            session.execute(f"DROP TABLE IF EXISTS {table}", step="segments.scope_drop")


@dataclass(frozen=True)
class Live:
    """An active segment ready to evaluate."""

    segment_id: str
    name: str
    version: int
    compiled: Compiled


@dataclass
class Delta:
    entered: int = 0
    exited: int = 0


def select_members(
    session: Session, compiled: Compiled, rel: Relations, *, now: datetime, into: str = NEW
) -> None:
    """Evaluate ``compiled`` into the temp table ``into(profile_id)``."""
    sql = compiled.render(events=rel.events, scope=rel.scope, tables=rel.tables)
    params = used_params(sql, {**compiled.params, "now": now})
    session.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {sql}", params, step="segments.eval")


def apply(
    session: Session,
    segment: Live,
    rel: Relations,
    *,
    now: datetime,
    reason: str,
    timezone: str,
) -> Delta:
    """Evaluate ``segment`` over ``rel`` and record who entered and exited. In the common case
    of no change this is two statements: the difference, then its counts with today's size row.
    """
    sql = segment.compiled.render(events=rel.events, scope=rel.scope, tables=rel.tables)
    delta_sql = f"""CREATE OR REPLACE TEMP TABLE {DELTA} AS
        WITH fresh AS MATERIALIZED ({sql})
        SELECT profile_id, 'entered' AS change FROM fresh WHERE profile_id NOT IN (
          SELECT profile_id FROM segment_members WHERE segment_id = $sid)
        UNION ALL
        SELECT profile_id, 'exited' FROM segment_members
        WHERE segment_id = $sid {rel.scope} AND profile_id NOT IN (SELECT profile_id FROM fresh)"""
    params = {**segment.compiled.params, "now": now, "sid": segment.segment_id}
    session.execute(delta_sql, used_params(delta_sql, params), step="segments.delta")
    day = now.astimezone(ZoneInfo(timezone)).date()
    row = session.fetchone(
        f"""SELECT count(*) FILTER (WHERE change = 'entered'),
                   count(*) FILTER (WHERE change = 'exited'),
                   (SELECT list_value(entered, exited) FROM segment_sizes
                    WHERE segment_id = $sid AND day = $day)
            FROM {DELTA}""",
        {"sid": segment.segment_id, "day": day},
        step="segments.delta_count",
    )
    assert row is not None  # an aggregate without GROUP BY returns one row
    delta = Delta(int(row[0]), int(row[1]))
    if delta.entered or delta.exited:
        _write_delta(session, segment, now=now, reason=reason)
    if delta.entered or delta.exited or row[2] is None:
        before = Delta(*row[2]) if row[2] is not None else Delta()
        _write_size(session, segment.segment_id, before, delta, day=day, now=now)
    return delta


def _write_delta(session: Session, segment: Live, *, now: datetime, reason: str) -> None:
    params = {"sid": segment.segment_id, "now": now, "ver": segment.version, "why": reason}
    session.execute(
        f"""INSERT INTO segment_changes (segment_id, profile_id, change, occurred_at, version,
                                         reason)
        SELECT $sid, profile_id, change, $now, $ver, $why FROM {DELTA} ORDER BY change, profile_id
        """,
        params,
        step="segments.changes",
    )
    session.execute(
        f"DELETE FROM segment_members WHERE segment_id = $sid AND profile_id IN "
        f"(SELECT profile_id FROM {DELTA} WHERE change = 'exited')",
        {"sid": segment.segment_id},
        step="segments.exit",
    )
    session.execute(
        f"INSERT INTO segment_members SELECT $sid, profile_id, $now FROM {DELTA} "
        f"WHERE change = 'entered'",
        {"sid": segment.segment_id, "now": now},
        step="segments.enter",
    )


def _write_size(
    session: Session, segment_id: str, before: Delta, delta: Delta, *, day: date, now: datetime
) -> None:
    key = {"sid": segment_id, "day": day}
    session.execute(
        "DELETE FROM segment_sizes WHERE segment_id = $sid AND day = $day",
        key,
        step="segments.size",
    )
    session.execute(
        "INSERT INTO segment_sizes SELECT $sid, $day, "
        "(SELECT count(*) FROM segment_members WHERE segment_id = $sid), $e, $x, $now",
        {**key, "e": before.entered + delta.entered, "x": before.exited + delta.exited, "now": now},
        step="segments.size",
    )


def apply_all(
    session: Session,
    segments: list[Live],
    profile_ids: list[str] | None,
    *,
    now: datetime,
    reason: str,
    timezone: str,
) -> dict[str, Delta]:
    """Evaluate ``segments`` (in dependency order) for ``profile_ids`` (None: everyone)."""
    if not segments or (profile_ids is not None and not profile_ids):
        return {}
    out: dict[str, Delta] = {}
    names = set().union(*(s.compiled.traits for s in segments))
    with relations_for(session, profile_ids, traits=names) as rel:
        for segment in segments:
            out[segment.segment_id] = apply(
                session, segment, rel, now=now, reason=reason, timezone=timezone
            )
        session.execute(f"DROP TABLE IF EXISTS {DELTA}", step="segments.cleanup")
    return out
