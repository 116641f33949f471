"""Events unicx writes on a person's behalf about their messages (``Email Opened``,
``Message Clicked``, ``Email Bounced``, …), so journeys can wait on them and the timeline
shows them, through the same row format and insert as any ingested event."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from unicx import __version__
from unicx.config import Settings
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import COLUMN_NAMES, EVENT_KEY_SQL, rows_to_arrow
from unicx.ingest.validate import decode_single
from unicx.privacy.consent import API_SOURCE, event_identities
from unicx.store import Session


@dataclass(frozen=True, slots=True)
class OwnEvent:
    """One event unicx writes for a person: ``type_="identify"`` writes ``properties`` as
    traits. A fixed ``message_id`` makes the write idempotent (a second one is a no-op)."""

    profile_id: str
    event: str
    properties: Mapping[str, Any]
    message_id: str | None = None
    type_: str = "track"


def track_for_profile(
    session: Session,
    settings: Settings,
    profile_id: str,
    event: str,
    properties: Mapping[str, Any],
    *,
    now: datetime,
    message_id: str | None = None,
    type_: str = "track",
) -> str:
    """Append one event of ``profile_id`` (inside the caller's transaction); its messageId."""
    own = OwnEvent(profile_id, event, properties, message_id, type_)
    return track_many(session, settings, [own], now=now)[0]


def track_many(
    session: Session, settings: Settings, events: list[OwnEvent], *, now: datetime
) -> list[str]:
    """Append ``events`` with one identity lookup and one insert, through the same row format
    as any ingested event; their messageIds in order."""
    if not events:
        return []
    identity = event_identities(session, sorted({e.profile_id for e in events}), now)
    # received_at is the real time even under a moved journey clock: the journeys' event
    # cursor follows the profile updater's real-time watermark.
    info = RequestInfo(source_id=API_SOURCE, received_at=datetime.now(UTC), peer_ip=None)
    limits = Limits.from_settings(settings)
    if now > info.received_at:
        # A journey clock moved ahead (clock_control, simulations): its own events are as far
        # ahead as the clock is, and would otherwise fail the 24 h limit and stall the ticks.
        limits = replace(limits, max_future=limits.max_future + (now - info.received_at))
    library = {"library": {"name": "unicx", "version": __version__}}
    rows, ids = [], []
    for e in events:
        id_field, id_value = identity[e.profile_id]
        mid = e.message_id or str(uuid.uuid4())
        body: dict[str, Any] = {
            "type": e.type_,
            "messageId": mid,
            id_field: id_value,
            "timestamp": now.isoformat(),
            "context": library,
        }
        if e.type_ == "identify":
            body["traits"] = dict(e.properties)
        else:
            body["event"], body["properties"] = e.event, dict(e.properties)
        raw = json.dumps(body, default=str).encode()
        rows.append(decode_single(raw, type_=e.type_, info=info, limits=limits)[0])
        ids.append(mid)
    name = f"px_track_{uuid.uuid4().hex[:8]}"
    session.register(name, rows_to_arrow(rows))
    try:
        columns = ", ".join(COLUMN_NAMES)
        session.execute(
            f"INSERT INTO events (event_key, {columns}) "
            f"SELECT {EVENT_KEY_SQL}, {columns} FROM {name} ON CONFLICT DO NOTHING",
            step="channels.track_event",
        )
    finally:
        session.unregister(name)
    return ids
