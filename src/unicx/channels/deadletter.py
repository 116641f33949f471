"""Dead letters: messages that ran out of retries (``dead``) or were refused for good
(``failed``), listed for a person to look at and replayed once the cause is fixed (the
receiver is back up, the provider config corrected)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from unicx.channels.config import read_config
from unicx.channels.models import DeadMessage, ReplayResult
from unicx.channels.retry import policy_for
from unicx.errors import ConflictError, NotFoundError, UnicxError
from unicx.store import Session, Store

MAX_DEAD_PAGE = 1000
REPLAYABLE = ("dead", "failed")
STOPPED = "the server stopped while sending it, at every try: given up"


def list_dead(store: Store, *, channel: str | None = None, limit: int = 100) -> list[DeadMessage]:
    """Dead messages, most recently given up first."""
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT message_id, channel, address, attempts, last_error, updated_at "
            "FROM messages WHERE status = 'dead' AND ($c IS NULL OR channel = $c) "
            "ORDER BY updated_at DESC, message_id LIMIT $limit",
            {"c": channel, "limit": max(1, min(limit, MAX_DEAD_PAGE))},
            step="deadletter.list",
        )
    return [DeadMessage.model_validate(row) for row in rows]


def bury_exhausted(s: Session, now: datetime) -> int:
    """At start-up, before ``sending`` messages are queued again: those that used up their
    channel's max_attempts (each claim counts one) become dead instead. How many."""
    buried = 0
    for (channel,) in s.fetchall(
        "SELECT DISTINCT channel FROM messages WHERE status = 'sending'", step="deadletter.stuck"
    ):
        try:
            config: Any = read_config(s, str(channel))
        except UnicxError:  # a channel no longer registered, or a config it refuses now
            config = None
        # ">": one try more than max_attempts at most, so a message claimed but not yet sent
        # when the server stopped still gets its last try.
        params = {"c": channel, "max": policy_for(str(channel), config).max_attempts,
                  "now": now, "why": STOPPED}  # fmt: skip
        s.execute(
            "INSERT INTO message_events SELECT message_id, profile_id, channel, 'dead', $now, "
            "json_object('error', $why, 'attempt', attempts) FROM messages "
            "WHERE status = 'sending' AND channel = $c AND attempts > $max",
            params,
            step="deadletter.bury_log",
        )
        row = s.fetchone(
            "UPDATE messages SET status = 'dead', reason = 'send_failed', last_error = $why, "
            "updated_at = $now WHERE status = 'sending' AND channel = $c AND attempts > $max",
            params,
            step="deadletter.bury",
        )
        buried += int(row[0]) if row else 0
    return buried


def replay(store: Store, message_id: str, *, now: datetime) -> ReplayResult:
    """Queue a dead or failed message again, due now with a fresh attempt count. The outbox
    checks consent, suppressions and caps again when it claims it, as for any message."""
    with store.session() as s, s.transaction():
        row = s.fetchone(
            "SELECT status, profile_id, channel, attempts FROM messages WHERE message_id = ?",
            [message_id],
            step="deadletter.find",
        )
        if row is None:
            raise NotFoundError(f"no message {message_id!r}")
        status, profile_id, channel, attempts = row
        if status not in REPLAYABLE:
            raise ConflictError(
                f"message {message_id!r} is {status}; only dead or failed messages are replayed"
            )
        s.execute(
            "UPDATE messages SET status = 'queued', attempts = 0, due_at = $now, reason = NULL, "
            "updated_at = $now WHERE message_id = $id",
            {"now": now, "id": message_id},
            step="deadletter.replay",
        )
        s.execute(
            "INSERT INTO message_events VALUES (?, ?, ?, 'replayed', ?, ?)",
            [message_id, profile_id, channel, now,
             json.dumps({"previous_status": status, "attempts": attempts})],
            step="deadletter.replay_log",
        )  # fmt: skip
    return ReplayResult(message_id=message_id, channel=str(channel), status="queued",
                        previous_status=str(status), due_at=now)  # fmt: skip
