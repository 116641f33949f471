"""Reading stored events back (the management side of ingest)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from pydantic import BaseModel, Field

from unicx.errors import FieldIssue, ValidationError
from unicx.store import Store

MAX_LIST_LIMIT = 1000
MAX_CURSOR_LENGTH = 200


class Enrichment(BaseModel):
    ip: str | None = None
    locale: str | None = None
    timezone: str | None = None
    local_hour: int | None = None
    local_weekday: int | None = Field(None, description="ISO weekday, 1 = Monday")
    device_type: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    browser_name: str | None = None
    browser_version: str | None = None
    page_url: str | None = None
    page_path: str | None = None
    page_referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    country: str | None = None
    city: str | None = None
    library_name: str | None = None
    library_version: str | None = None


class EventPublic(BaseModel):
    """A stored event in Segment's shape, plus what unicx derived from it."""

    messageId: str
    sourceId: str
    type: str
    event: str | None = None
    name: str | None = None
    category: str | None = Field(None, description="page category")
    channel: str | None = Field(None, description="server, browser or mobile")
    userId: str | None = None
    anonymousId: str | None = None
    groupId: str | None = None
    previousId: str | None = None
    timestamp: datetime
    originalTimestamp: datetime | None = None
    sentAt: datetime | None = None
    receivedAt: datetime
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    enrichment: Enrichment


_RENAMES = {
    "message_id": "messageId",
    "source_id": "sourceId",
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "group_id": "groupId",
    "previous_id": "previousId",
    "original_timestamp": "originalTimestamp",
    "sent_at": "sentAt",
    "received_at": "receivedAt",
}
_JSON_COLUMNS = ("traits", "properties", "context", "integrations")
_ENRICH = tuple(Enrichment.model_fields)


def row_to_public(row: dict[str, Any]) -> EventPublic:
    out: dict[str, Any] = {_RENAMES.get(k, k): v for k, v in row.items() if k not in _ENRICH}
    for col in _JSON_COLUMNS:
        if out.get(col) is not None:
            # msgspec wrote it, msgspec reads it: orjson turns integers over 64 bits into
            # floats and fails on those beyond a double, which ingest accepts.
            out[col] = msgspec.json.decode(out[col])
    out["enrichment"] = Enrichment(**{k: row[k] for k in _ENRICH})
    out.pop("user_agent", None)
    return EventPublic(**out)


@dataclass(frozen=True)
class EventPage:
    """One page of events; ``next_cursor`` reads the following (older) page, None at the end."""

    events: list[EventPublic]
    next_cursor: str | None


def encode_cursor(received_at: datetime, key: int) -> str:
    """Opaque to clients: the (received_at, event_key) of the page's last event."""
    raw = f"{received_at.isoformat()}~{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; anything else is a 400 naming ``cursor``."""
    bad = ValidationError(
        "invalid cursor: pass the next_cursor of a previous page unchanged",
        issues=[FieldIssue("cursor", "cursor", "not a cursor this server issued")],
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, key = text.partition("~")
        at = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    # event_key is an unsigned 128-bit integer (ingest/schema.py).
    if at.tzinfo is None or not key.isdigit() or int(key) >= 1 << 128:
        raise bad
    return at, int(key)


class EventQuery:
    def __init__(self, store: Store) -> None:
        self._store = store

    def list_events(
        self,
        *,
        limit: int = 100,
        since: datetime | None = None,
        source_id: str | None = None,
        type_: str | None = None,
    ) -> list[EventPublic]:
        """Newest first by receivedAt; ``since`` keeps events received at or after it."""
        return self.page(limit=limit, since=since, source_id=source_id, type_=type_).events

    def page(
        self,
        *,
        limit: int = 100,
        since: datetime | None = None,
        source_id: str | None = None,
        type_: str | None = None,
        cursor: str | None = None,
    ) -> EventPage:
        """Newest first by (receivedAt, event key): a total order, so paging with the cursor
        returns every stored event once, whatever arrives meanwhile (new events are newer)."""
        where = ["1 = 1"]
        params: list[Any] = []
        if cursor is not None:
            at, key = decode_cursor(cursor)
            where.append("(received_at, event_key) < (?, ?::UHUGEINT)")
            params += [at, str(key)]
        if since is not None:
            where.append("received_at >= ?")
            params.append(since)
        if source_id is not None:
            where.append("source_id = ?")
            params.append(source_id)
        if type_ is not None:
            where.append("type = ?")
            params.append(type_)
        size = max(1, min(limit, MAX_LIST_LIMIT))
        sql = (
            "SELECT * EXCLUDE (user_agent) FROM events WHERE "
            + " AND ".join(where)
            + " ORDER BY received_at DESC, event_key DESC LIMIT ?"
        )
        with self._store.session() as s:
            rows = s.fetch_dicts(sql, [*params, size + 1], step="events.list")
        last = rows[size - 1] if len(rows) > size else None
        next_cursor = encode_cursor(last["received_at"], int(last["event_key"])) if last else None
        for r in rows:
            r.pop("event_key")
        return EventPage([row_to_public(r) for r in rows[:size]], next_cursor)

    def count(self) -> int:
        with self._store.session() as s:
            row = s.fetchone("SELECT count(*) FROM events", step="events.count")
        return int(row[0]) if row else 0
