"""Reading a person's in-app / web inbox and recording what they did with a message.

Seen, clicked and dismissed are each recorded once: the first call sets the timestamp, appends
a ``message_events`` row and writes a track event of the person (``In-App Message Viewed``,
``Message Clicked``, ``In-App Message Dismissed``) so journeys can wait on it; a repeated call
(the app retrying, two tabs) changes nothing. A click or dismissal implies the message was seen.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field

from unicx.channels.config import read_config
from unicx.channels.events import track_for_profile
from unicx.channels.inapp import InboxConfig
from unicx.config import Settings
from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.store import Session, Store

Action = Literal["seen", "clicked", "dismissed"]
INBOX_CHANNELS: Final = ("web", "in_app")
MAX_LIST: Final = 500
_COLUMN: Final[dict[str, str]] = {
    "seen": "seen_at",
    "clicked": "clicked_at",
    "dismissed": "dismissed_at",
}
EVENT_NAMES: Final[dict[str, str]] = {
    "seen": "In-App Message Viewed",
    "clicked": "Message Clicked",
    "dismissed": "In-App Message Dismissed",
}


class InboxMessage(BaseModel):
    message_id: str
    channel: str
    title: str
    body: str
    url: str | None = None
    image: str | None = None
    cta: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    seen_at: datetime | None = None
    clicked_at: datetime | None = None


class InboxPage(BaseModel):
    messages: list[InboxMessage]
    unseen: int = Field(description="Listed messages not yet seen (for a badge).")


def _check_profile(s: Session, profile_id: str) -> None:
    row = s.fetchone(
        "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="inbox.profile"
    )
    if row is None:
        raise NotFoundError(f"no profile {profile_id[:100]!r}")


def list_messages(
    store: Store,
    profile_id: str,
    *,
    channel: str,
    now: datetime,
    include_seen: bool = True,
    limit: int = 50,
) -> InboxPage:
    """The person's live messages on ``channel``, newest first: not expired, not dismissed,
    at most the channel's ``max_per_profile`` (older ones drop off) and ``limit``."""
    if channel not in INBOX_CHANNELS:
        issue = FieldIssue("channel", "enum", f"one of {', '.join(INBOX_CHANNELS)}")
        raise ValidationError(f"channel must be one of {', '.join(INBOX_CHANNELS)}", issues=[issue])
    with store.session() as s:
        _check_profile(s, profile_id)
        config = read_config(s, channel)
        assert isinstance(config, InboxConfig)
        rows = s.fetch_dicts(
            "SELECT * FROM (SELECT message_id, channel, CAST(content AS VARCHAR) AS content, "
            "created_at, expires_at, seen_at, clicked_at FROM inbox "
            "WHERE profile_id = $pid AND channel = $channel AND dismissed_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > $now) "
            "ORDER BY created_at DESC, message_id LIMIT $cap) "
            "WHERE $seen OR seen_at IS NULL ORDER BY created_at DESC, message_id LIMIT $limit",
            {
                "pid": profile_id,
                "channel": channel,
                "now": now,
                "cap": config.max_per_profile,
                "seen": include_seen,
                "limit": max(1, min(limit, MAX_LIST)),
            },
            step="inbox.list",
        )
    messages = [_public(r) for r in rows]
    return InboxPage(messages=messages, unseen=sum(m.seen_at is None for m in messages))


def _public(row: dict[str, Any]) -> InboxMessage:
    content = json.loads(row.pop("content"))
    parts = {k: v for k, v in content.items() if k in InboxMessage.model_fields}
    return InboxMessage(**row, **parts)


def mark(
    store: Store,
    settings: Settings,
    profile_id: str,
    message_id: str,
    action: Action,
    now: datetime,
) -> InboxMessage:
    """Record that the person saw, clicked or dismissed the message (once; idempotent)."""
    # profile_lock: the track event may add a synthetic identity, which identity resolution
    # also writes; it also keeps two simultaneous marks of one message from conflicting.
    with store.profile_lock, store.session() as s, s.transaction():
        row = _row(s, profile_id, message_id)
        steps: list[Action] = [action]
        if action != "seen" and row["seen_at"] is None:
            steps.insert(0, "seen")
        origin = _origin(s, row)
        for step in steps:
            column = _COLUMN[step]
            if row[column] is not None:
                continue
            _record(s, settings, row, origin, step, now)
            row[column] = now
    return _public({k: v for k, v in row.items() if k not in ("profile_id", "dismissed_at")})


def _row(s: Session, profile_id: str, message_id: str) -> dict[str, Any]:
    _check_profile(s, profile_id)
    rows = s.fetch_dicts(
        "SELECT message_id, profile_id, channel, CAST(content AS VARCHAR) AS content, "
        "created_at, expires_at, seen_at, clicked_at, dismissed_at FROM inbox "
        "WHERE message_id = ? AND profile_id = ?",
        [message_id, profile_id],
        step="inbox.message",
    )
    if not rows:
        raise NotFoundError(f"no message {message_id[:100]!r} for this profile")
    return rows[0]


def _origin(s: Session, row: dict[str, Any]) -> dict[str, Any]:
    """Which journey and node sent the message, from the message log when it is there."""
    found = s.fetch_dicts(
        "SELECT journey_id, node_id FROM messages WHERE message_id = ?",
        [row["message_id"]],
        step="inbox.origin",
    )
    base = {"message_id": row["message_id"], "journey_id": None, "node_id": None}
    return {**base, **(found[0] if found else {}), "channel": row["channel"]}


def _record(
    s: Session,
    settings: Settings,
    row: dict[str, Any],
    origin: dict[str, Any],
    action: Action,
    now: datetime,
) -> None:
    s.execute(
        f"UPDATE inbox SET {_COLUMN[action]} = ? WHERE message_id = ?",
        [now, row["message_id"]],
        step=f"inbox.mark_{action}",
    )
    s.execute(
        "INSERT INTO message_events VALUES (?, ?, ?, ?, ?, ?)",
        [row["message_id"], row["profile_id"], row["channel"], action, now, "{}"],
        step="inbox.log",
    )
    props = dict(origin)
    url = json.loads(row["content"]).get("url")
    if action == "clicked" and url:
        props["url"] = url
    track_for_profile(
        s,
        settings,
        row["profile_id"],
        EVENT_NAMES[action],
        props,
        now=now,
        message_id=f"inbox-{action}-{row['message_id']}",
    )
