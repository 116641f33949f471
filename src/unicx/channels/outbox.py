"""The outbox: delivering queued messages exactly as the policy allows, recording every
outcome in the message log.

A message is queued in the same transaction as the journey step that decided it, with its
idempotency key as primary key. Delivery is two commits around the provider call: *claim*
(queued → sending, after consent, suppression, caps and quiet hours are checked for the whole
batch) and *record* (sending → sent / queued for a retry / failed / dead). A crash between the
two leaves messages in ``sending``; the next start puts them back in the queue. The only
message that can then reach a person twice is one the provider accepted in the instant before
the crash (the few milliseconds between its reply and our commit); it carries the same
Message-ID / ``X-Unicx-Message-Id`` both times so providers and inboxes can drop the copy.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from unicx.channels import policy as pol
from unicx.channels.base import (
    Channel,
    ChannelContext,
    OutboundMessage,
    RetryableSendError,
    SendError,
    TerminalSendError,
    channel_names,
    get_channel,
)
from unicx.channels.claims import Claimed, decide, write_decisions
from unicx.channels.config import read_config
from unicx.channels.deadletter import bury_exhausted
from unicx.channels.render import Renderer
from unicx.channels.retry import exhausted, next_delay, policy_for
from unicx.channels.sent_records import HandedOver, Sent, write_records
from unicx.channels.sent_records import summary as log_summary
from unicx.clock import Clock
from unicx.config import Settings
from unicx.errors import UnicxError
from unicx.store import Store
from unicx.store.deferred import DeferredWrites

log = logging.getLogger(__name__)
COUNTED = ("sending", "handed_over", "sent", "delivered")
OTHER_LANE = "*"  # claims the messages of channels no longer registered (they fail)
UNCONFIRMED = "unconfirmed: the server stopped while the provider took it; not sent twice"


@dataclass
class Prepared:
    """A claimed message rendered and ready for its channel."""

    row: dict[str, Any]
    message: OutboundMessage
    config: BaseModel


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    deferred: int = 0


class Outbox:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        *,
        recommendations: Callable[[str, int], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.renderer = Renderer(store, settings, recommendations=recommendations)
        self._channels: dict[str, Channel] = {}
        self._lock = threading.Lock()
        self._claim_lock = threading.Lock()
        self._rng = random.Random()
        # A `sent` row rides with the next hand-over commit (unicx.store.deferred): until then
        # the message is `handed_over`, which a restart logs as sent anyway.
        self._records: DeferredWrites[HandedOver | Sent] = DeferredWrites(store, write_records)
        self.crash_hook: Callable[[str], None] | None = None  # tests: fault injection points
        # Called by each sending thread before it sends (the runtime gives due journey steps
        # the CPU first).
        self.before_send: Callable[[], object] | None = None

    def channel(self, name: str) -> Channel | None:
        with self._lock:
            if name not in self._channels:
                cls = get_channel(name)
                if cls is None:
                    return None
                ctx = ChannelContext(self.store, self.settings, self.clock.now)
                self._channels[name] = cls(ctx)
            return self._channels[name]

    def recover(self) -> int:
        """After a crash: messages claimed but never handed to the provider go back to the
        queue, unless their channel's max_attempts is used up (a message that kills the
        process while sending would otherwise do so at every start): those are dead. Those
        handed over (the provider may have them) are logged as sent, unconfirmed, and never
        sent again. Returns how many were queued again."""
        now = self.clock.now()
        with self.store.session() as s, s.transaction():
            s.execute(
                "INSERT INTO message_events SELECT message_id, profile_id, channel, 'sent', "
                "$now, json_object('reason', $why) FROM messages WHERE status = 'handed_over'",
                {"now": now, "why": UNCONFIRMED},
                step="outbox.recover_log",
            )
            s.execute(
                "UPDATE messages SET status = 'sent', sent_at = coalesce(sent_at, $now), "
                "reason = $why, updated_at = $now WHERE status = 'handed_over'",
                {"now": now, "why": UNCONFIRMED},
                step="outbox.recover_handed_over",
            )
            bury_exhausted(s, now)
            row = s.fetchone(
                "UPDATE messages SET status = 'queued', reason = 'resumed after restart' "
                "WHERE status = 'sending'",
                step="outbox.recover",
            )
        return int(row[0]) if row else 0

    def _handover(self, message_id: str, now: datetime) -> Callable[[], None]:
        # Its own transaction, not a shared one: the "." must follow the commit at once, since
        # a kill between the two loses the message.
        return lambda: self._records.commit(HandedOver(message_id, now))

    # -- claim ----------------------------------------------------------------------------
    def due_lanes(self, now: datetime) -> set[str]:
        """The lanes (:mod:`unicx.channels.lanes`) with messages due at ``now``."""
        with self.store.session() as s:
            rows = s.fetchall(
                "SELECT DISTINCT channel FROM messages WHERE status = 'queued' AND due_at <= ?",
                [now],
                step="outbox.due_lanes",
            )
        known = set(channel_names())
        return {str(r[0]) if r[0] in known else OTHER_LANE for r in rows}

    def claim(
        self, now: datetime, limit: int, result: DispatchResult, *, lane: str | None = None
    ) -> list[Claimed]:
        """Mark up to ``limit`` due messages 'sending' after the send-time checks. ``lane``:
        only that channel's messages, or with OTHER_LANE those of no registered channel."""
        if lane is None:
            where, params = "", [now, limit]
        elif lane == OTHER_LANE:
            names = channel_names()
            where = f"AND channel NOT IN ({', '.join('?' * len(names))}) "
            params = [now, *names, limit]
        else:
            where, params = "AND channel = ? ", [now, lane, limit]
        # One claim at a time: caps across channels ("5 a week in total") count the messages
        # other claims approved, which a concurrent transaction would not see yet.
        with self._claim_lock, self.store.session() as s, s.transaction():
            rows = s.fetch_dicts(
                f"SELECT * FROM messages WHERE status = 'queued' AND due_at <= ? {where}"
                "ORDER BY priority DESC, due_at, message_id LIMIT ?",
                params,
                step="outbox.due",
            )
            if not rows:
                return []
            policy = pol.read_policy(s)
            decisions, claimed = decide(s, rows, policy, now)
            write_decisions(s, decisions, now)
        for _, status, *_ in decisions:
            if status == "suppressed" or status == "failed":
                result.suppressed += status == "suppressed"
                result.failed += status == "failed"
            elif status == "queued":
                result.deferred += 1
        result.claimed += len(claimed)
        if self.crash_hook is not None:
            self.crash_hook("after_claim")
        return claimed

    # -- deliver --------------------------------------------------------------------------
    def prepare(
        self, claimed: list[Claimed], now: datetime, result: DispatchResult
    ) -> list[Prepared]:
        """Render a claimed batch in one session (configs read once, the people's traits in
        one query); a message that cannot render is recorded as failed here."""
        if not claimed:
            return []
        configs: dict[str, BaseModel | RetryableSendError] = {}
        with self.store.session() as s:
            for name in {item.row["channel"] for item in claimed}:
                try:
                    configs[name] = read_config(s, name)
                except UnicxError as exc:  # a config saved before its rules changed
                    configs[name] = RetryableSendError(f"{name} channel config: {exc.message}")
            rendered = self.renderer.render_many(s, [item.row for item in claimed], now=now)
        ready: list[Prepared] = []
        for item, done in zip(claimed, rendered, strict=True):
            row, config = item.row, configs[item.row["channel"]]
            if isinstance(config, SendError):
                self._failed(row, None, config, now, result)
                continue
            if isinstance(done, SendError):
                self._failed(row, config, done, now, result)
                continue
            content, links = done
            message = OutboundMessage(
                message_id=row["message_id"],
                profile_id=row["profile_id"],
                channel=row["channel"],
                address=item.address,
                content=content,
                category=row["category"],
                journey_id=row["journey_id"],
                node_id=row["node_id"],
                attempt=row["attempts"],
                links=links,
                handover=self._handover(row["message_id"], now),
            )
            ready.append(Prepared(row, message, config))
        return ready

    def deliver(self, item: Prepared, now: datetime, result: DispatchResult) -> None:
        row = item.row
        channel = self.channel(row["channel"])
        assert channel is not None  # claim refused unknown channels
        if self.before_send is not None:
            self.before_send()
        try:
            if self.crash_hook is not None:
                self.crash_hook("before_send")
            sent = channel.send(item.message, item.config)
        except SendError as exc:
            self._failed(row, item.config, exc, now, result)
            return
        except Exception as exc:  # a defect in a channel, not a provider's answer
            log.exception("the %s channel failed on %s", row["channel"], row["message_id"])
            self._unexpected(row, item.config, exc, now, result)
            return
        if self.crash_hook is not None:
            self.crash_hook("after_send")
        summary = json.dumps(log_summary(dict(item.message.content)), ensure_ascii=False)
        self._records.later(Sent(row["message_id"], now, sent, summary))
        result.sent += 1

    def flush(self) -> None:
        """Write the `sent` records still waiting to ride with a hand-over."""
        self._records.flush()

    def _unexpected(
        self, row: dict[str, Any], config: Any, exc: Exception, now: datetime, r: DispatchResult
    ) -> None:
        """An exception no channel should raise. Left in ``sending`` it would be sent again
        at every restart; instead it is retried like a provider error, within the channel's
        ``max_attempts``, then dead (listed, replayable once fixed). A message already
        handed over (SMTP after the final "." began) is logged sent, unconfirmed, as a
        restart would: the mail server may have it, and it is never sent twice."""
        with self.store.session() as s, s.transaction():
            unconfirmed = s.fetchone(
                "UPDATE messages SET status = 'sent', sent_at = $now, reason = $why, "
                "updated_at = $now WHERE message_id = $id AND status = 'handed_over'",
                {"now": now, "why": UNCONFIRMED, "id": row["message_id"]},
                step="outbox.unexpected_handed_over",
            )
        if unconfirmed and unconfirmed[0]:
            r.sent += 1
            return
        error = RetryableSendError(f"unexpected error in the channel: {type(exc).__name__}")
        self._failed(row, config, error, now, r)

    def _failed(
        self,
        row: dict[str, Any],
        config: Any,
        exc: SendError,
        now: datetime,
        result: DispatchResult,
    ) -> None:
        retry = policy_for(row["channel"], config)
        attempts = int(row["attempts"])
        if exc.retryable and not exhausted(retry, attempts):
            status, due = "queued", now + timedelta(seconds=next_delay(retry, attempts, self._rng))
            result.retried += 1
        else:
            status, due = ("dead" if exc.retryable else "failed"), now
            result.failed += 1
        bounce = isinstance(exc, TerminalSendError) and exc.bounce
        with self.store.session() as s, s.transaction():
            s.execute(
                "UPDATE messages SET status = $status, due_at = $due, last_error = $err, "
                "reason = $reason, updated_at = $now WHERE message_id = $id",
                {
                    "status": status,
                    "due": due,
                    "err": exc.message[:1000],
                    "now": now,
                    "reason": "bounced" if bounce else exc.code,
                    "id": row["message_id"],
                },
                step="outbox.failed",
            )
            s.execute(
                "INSERT INTO message_events VALUES (?, ?, ?, ?, ?, ?)",
                [
                    row["message_id"],
                    row["profile_id"],
                    row["channel"],
                    "bounced" if bounce else ("retry" if status == "queued" else status),
                    now,
                    json.dumps({"error": exc.message[:1000], "attempt": attempts}),
                ],
                step="outbox.failed_log",
            )
            if bounce:
                s.execute(
                    "INSERT INTO suppressions VALUES (?, ?, 'hard bounce', ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [row["channel"], row["address"] or "", row["profile_id"], now],
                    step="outbox.suppress_bounce",
                )

    def dispatch(
        self,
        *,
        now: datetime | None = None,
        limit: int = 500,
        pool: ThreadPoolExecutor | None = None,
    ) -> DispatchResult:
        """Claim a batch and deliver it (in ``pool`` when given)."""
        now = now or self.clock.now()
        result = DispatchResult()
        claimed = self.prepare(self.claim(now, limit, result), now, result)
        if pool is None:
            for item in claimed:
                self.deliver(item, now, result)
        else:
            list(pool.map(lambda item: self.deliver(item, now, result), claimed))
        self.flush()
        return result
