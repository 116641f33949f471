"""Reading and writing journey runs and the effects of a batch, set-based (Arrow in, one
statement per table), inside the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

import pyarrow as pa

from unicx.config import Settings
from unicx.journeys.engine import Effects, Run
from unicx.store import Session

RUN_FIELDS = [f.name for f in fields(Run)]
# A run as a row, in RUN_FIELDS order (dataclasses.astuple deep-copies every value: 10x slower).
_run_row = attrgetter(*RUN_FIELDS)
_TS = pa.timestamp("us", tz="UTC")
RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("journey_id", pa.string()),
        ("version", pa.int32()),
        ("profile_id", pa.string()),
        ("node_id", pa.string()),
        ("phase", pa.string()),
        ("status", pa.string()),
        ("due_at", _TS),
        ("entered_at", _TS),
        ("wait_since", _TS),
        ("exited_at", _TS),
        ("exit_reason", pa.string()),
        ("exit_node", pa.string()),
        ("holdout", pa.bool_()),
        ("goal_until", _TS),
        ("goal_at", _TS),
        ("steps", pa.int32()),
    ]
)
STEP_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("journey_id", pa.string()),
        ("version", pa.int32()),
        ("profile_id", pa.string()),
        ("node_id", pa.string()),
        ("stage", pa.string()),
        ("happened_at", _TS),
        ("outcome", pa.string()),
    ]
)
MESSAGE_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("profile_id", pa.string()),
        ("channel", pa.string()),
        ("category", pa.string()),
        ("priority", pa.int32()),
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("node_id", pa.string()),
        ("run_id", pa.string()),
        ("address", pa.string()),
        ("due_at", _TS),
    ]
)
_TIMES = [i for i, f in enumerate(RUN_SCHEMA) if pa.types.is_timestamp(f.type)]
# Timestamps are read as microseconds since the epoch and made datetimes here: DuckDB's own
# conversion goes through pytz, more than half the time of loading a batch of runs.
_SELECT_RUN = ", ".join(
    f"epoch_us(r.{name})" if i in _TIMES else f"r.{name}" for i, name in enumerate(RUN_FIELDS)
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _rows(session: Session, sql: str, params: Any, step: str) -> list[Run]:
    runs = []
    for row in session.fetchall(sql, params, step=step):
        values = list(row)
        for i in _TIMES:
            if values[i] is not None:
                values[i] = _EPOCH + timedelta(microseconds=values[i])
        runs.append(Run(*values))
    return runs


def load_due(session: Session, now: datetime, limit: int) -> list[Run]:
    """Active runs of published journeys whose next look is due, oldest first."""
    return _rows(
        session,
        f"SELECT {_SELECT_RUN} FROM journey_runs r JOIN journeys j USING (journey_id) "
        "WHERE r.status = 'active' AND r.due_at <= ? AND j.status = 'published' "
        "ORDER BY r.due_at LIMIT ?",
        [now, limit],
        "journeys.load_due",
    )


def load_for_profiles(session: Session, profile_ids: list[str], *, active_only: bool) -> list[Run]:
    cond = "AND r.status = 'active'" if active_only else ""
    return _rows(
        session,
        f"SELECT {_SELECT_RUN} FROM journey_runs r "
        f"WHERE r.profile_id IN (SELECT unnest($ids::VARCHAR[])) {cond}",
        {"ids": profile_ids},
        "journeys.load_for_profiles",
    )


def _table(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.table(
        [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema
    )


def _with(session: Session, name: str, table: pa.Table, sql: str, step: str) -> None:
    if table.num_rows == 0:
        return
    session.register(name, table)
    try:
        session.execute(sql, step=step)
    finally:
        session.unregister(name)


def insert_runs(session: Session, runs: list[Run], now: datetime) -> None:
    rows = [_run_row(r) for r in runs]
    cols = ", ".join(RUN_FIELDS)
    _with(
        session,
        "jr_new",
        _table(rows, RUN_SCHEMA),
        f"INSERT INTO journey_runs ({cols}, updated_at) SELECT {cols}, "
        f"'{now.isoformat()}'::TIMESTAMPTZ FROM jr_new ON CONFLICT DO NOTHING",
        "journeys.insert_runs",
    )


def update_runs(session: Session, runs: list[Run], now: datetime) -> None:
    rows = [_run_row(r) for r in runs]
    sets = ", ".join(f"{n} = u.{n}" for n in RUN_FIELDS if n not in ("run_id", "profile_id"))
    _with(
        session,
        "jr_upd",
        _table(rows, RUN_SCHEMA),
        f"UPDATE journey_runs SET {sets}, updated_at = '{now.isoformat()}'::TIMESTAMPTZ "
        "FROM jr_upd u WHERE journey_runs.run_id = u.run_id",
        "journeys.update_runs",
    )


def write_effects(session: Session, settings: Settings, effects: Effects, now: datetime) -> None:
    """Steps, queued messages, list changes and trait updates of one batch."""
    _with(
        session,
        "jr_steps",
        _table(effects.steps, STEP_SCHEMA),
        "INSERT INTO journey_steps SELECT * FROM jr_steps",
        "journeys.insert_steps",
    )
    messages = [tuple(m[f.name] for f in MESSAGE_SCHEMA) for m in effects.messages]
    _with(
        session,
        "jr_msgs",
        _table(messages, MESSAGE_SCHEMA),
        "INSERT INTO messages (message_id, profile_id, channel, category, priority, journey_id, "
        "journey_version, node_id, run_id, spec, address, status, created_at, due_at, "
        "updated_at) SELECT message_id, profile_id, channel, category, priority, journey_id, "
        "journey_version, node_id, run_id, '{}'::JSON, address, 'queued', due_at, due_at, "
        "due_at FROM jr_msgs ON CONFLICT DO NOTHING",
        "journeys.queue_messages",
    )
    for list_name, profile_id, action in effects.lists:
        if action == "add":
            session.execute(
                "INSERT INTO static_lists VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [list_name, profile_id, now],
                step="journeys.list_add",
            )
        else:
            session.execute(
                "DELETE FROM static_lists WHERE list_name = ? AND profile_id = ?",
                [list_name, profile_id],
                step="journeys.list_remove",
            )
    _set_traits(session, settings, effects.traits, now)


def _set_traits(
    session: Session, settings: Settings, traits: list[tuple[str, str, Any]], now: datetime
) -> None:
    """A journey's trait is an identify event of the person (one history, like consent), so the
    next profile pass keeps it instead of overwriting it. One event per person, all written at
    once (a batch sets thousands: one by one, each insert took tens of milliseconds)."""
    from unicx.channels.events import OwnEvent, track_many  # channels import journeys

    by_profile: dict[str, dict[str, Any]] = {}
    for profile_id, name, value in traits:
        by_profile.setdefault(profile_id, {})[name] = value
    events = [
        OwnEvent(pid, "", values, _trait_event_id(pid, values, now), "identify")
        for pid, values in by_profile.items()
    ]
    track_many(session, settings, events, now=now)


def _trait_event_id(profile_id: str, values: dict[str, Any], now: datetime) -> str:
    """Fixed per (person, traits, step time): a replayed batch writes the same event."""
    key = json.dumps([profile_id, values, now.isoformat()], default=str)
    return f"journey-trait-{uuid.uuid5(uuid.NAMESPACE_URL, key)}"
