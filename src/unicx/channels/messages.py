"""Reading the message log (per person, journey, channel, status) with each message's later
events (delivered, opened, clicked, unsubscribed, bounced)."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, Field

from unicx.channels.models import MessagePublic
from unicx.store import Store

MAX_PAGE = 1000
MAX_OFFSET = 100_000


class MessagePage(BaseModel):
    """A page of the message log, newest first (the dashboard's messaging list)."""

    messages: list[MessagePublic]
    limit: int
    offset: int
    has_more: bool = Field(description="True if older messages match the same filters.")


def message_log(
    store: Store,
    *,
    profile_id: str | None = None,
    journey: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MessagePublic]:
    """Messages matching every filter given, newest first: ``journey`` is an id or a name
    (any case), ``reason`` the reason a message was not sent (consent, quiet_hours, …)."""
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT m.message_id, m.profile_id, m.channel, m.category, m.journey_id, m.node_id, "
            "m.status, m.reason, m.attempts, m.created_at, m.due_at, m.sent_at, m.address, "
            "m.last_error, m.rendered, (SELECT list({'status': e.status, "
            "'happened_at': e.happened_at} ORDER BY e.happened_at) FROM message_events e "
            "WHERE e.message_id = m.message_id) AS history FROM messages m "
            "LEFT JOIN journeys j ON j.journey_id = m.journey_id "
            "WHERE ($p IS NULL OR m.profile_id = $p) AND ($c IS NULL OR m.channel = $c) "
            "AND ($s IS NULL OR m.status = $s) AND ($r IS NULL OR m.reason = $r) "
            "AND ($j IS NULL OR m.journey_id = $j OR lower(j.name) = lower($j)) "
            "AND ($after::TIMESTAMPTZ IS NULL OR m.created_at >= $after) "
            "AND ($before::TIMESTAMPTZ IS NULL OR m.created_at < $before) "
            "ORDER BY m.created_at DESC, m.message_id LIMIT $limit OFFSET $offset",
            {
                "p": profile_id,
                "c": channel,
                "s": status,
                "r": reason,
                "j": journey,
                "after": created_after,
                "before": created_before,
                "limit": limit,
                "offset": offset,
            },
            step="messages.log",
        )
    for row in rows:
        row["rendered"] = json.loads(row["rendered"]) if row["rendered"] else None
        row["history"] = row["history"] or []
    return [MessagePublic.model_validate(row) for row in rows]


def message_page(
    store: Store,
    *,
    profile_id: str | None = None,
    journey: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> MessagePage:
    """One page of :func:`message_log` and whether another follows."""
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_OFFSET))
    found = message_log(
        store, profile_id=profile_id, journey=journey, channel=channel, status=status,
        reason=reason, limit=limit + 1, offset=offset,
    )  # fmt: skip
    return MessagePage(
        messages=found[:limit], limit=limit, offset=offset, has_more=len(found) > limit
    )
