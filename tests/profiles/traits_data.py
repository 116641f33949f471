"""Writing events, identities and profiles straight into a workspace for trait tests."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from unicx.store import Store

VN = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST
WEB = {"library": {"name": "analytics.js", "version": "2.0"}}
APP = {"library": {"name": "analytics-ios", "version": "4.1"}, "app": {"name": "Shop"}}
SERVER = {"library": {"name": "unicx-import", "version": "1"}}
_keys = itertools.count(1)


def vn(text: str) -> datetime:
    """A local Asia/Ho_Chi_Minh wall-clock time, e.g. '2024-06-01 20:10'."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def event(
    type_: str,
    at: str,
    *,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    event: str | None = None,
    properties: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    device_type: str | None = None,
    local_hour: int | None = None,
) -> dict[str, Any]:
    key = next(_keys)
    ctx = dict(context or {})
    ts = vn(at)
    return {
        "event_key": key,
        "source_id": "src",
        "message_id": f"m-{key}",
        "type": type_,
        "event": event,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "timestamp": ts,
        "received_at": ts,
        "traits": json.dumps(traits) if traits is not None else None,
        "properties": json.dumps(properties) if properties is not None else None,
        "context": json.dumps(ctx),
        "library_name": ctx.get("library", {}).get("name"),
        "device_type": device_type,
        "local_hour": local_hour,
    }


def load(
    store: Store, events: list[dict[str, Any]], identities: dict[str, list[tuple[str, str]]]
) -> None:
    """Insert ``events`` and ``identities`` ({profile_id: [(id_type, id_value), ...]})."""
    columns = list(events[0])
    table = pa.table(
        {c: [e[c] for e in events] for c in columns if c != "event_key"}
        | {"event_key": pa.array([str(e["event_key"]) for e in events])}
    )
    created = datetime(2024, 1, 1, tzinfo=UTC)
    ids = [(t, v, p, created, created) for p, pairs in identities.items() for t, v in pairs]
    with store.session() as s, s.transaction():
        s.register("new_events", table)
        s.execute(
            "INSERT INTO events BY NAME SELECT * REPLACE (CAST(event_key AS UHUGEINT) AS "
            "event_key, CAST(traits AS JSON) AS traits, CAST(properties AS JSON) AS properties, "
            "CAST(context AS JSON) AS context) FROM new_events",
            step="test.events",
        )
        s.unregister("new_events")
        for row in ids:
            s.execute("INSERT INTO identities VALUES (?, ?, ?, ?, ?)", list(row), step="test.ids")
        for profile_id in identities:
            s.execute(
                "INSERT INTO profiles VALUES (?, ?, ?)",
                [profile_id, created, created],
                step="test.profiles",
            )


def computed(store: Store, profile_id: str) -> dict[str, Any]:
    with store.session() as s:
        rows = s.fetchall(
            "SELECT name, value FROM computed_traits WHERE profile_id = ?",
            [profile_id],
            step="test.computed",
        )
    return {name: json.loads(value) for name, value in rows}


def profile_traits(store: Store, profile_id: str) -> dict[str, Any]:
    with store.session() as s:
        rows = s.fetchall(
            "SELECT name, value FROM profile_traits WHERE profile_id = ?",
            [profile_id],
            step="test.traits",
        )
    return {name: json.loads(value) for name, value in rows}


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    """Both trait tables, sorted, for comparing two refreshes."""
    with store.session() as s:
        return s.fetchall(
            "SELECT 'c', profile_id, name, CAST(value AS VARCHAR), computed_at "
            "FROM computed_traits UNION ALL "
            "SELECT 't', profile_id, name, CAST(value AS VARCHAR), updated_at "
            "FROM profile_traits ORDER BY ALL",
            step="test.snapshot",
        )
