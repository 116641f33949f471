"""A channel that raises what no channel should (a defect, not a provider's answer): the
message is retried within its channel's max_attempts and then dead, never left 'sending' to
be sent again at every restart; one already handed over is logged sent, never sent twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.channels.test_policy import T, World, world  # noqa: F401  (the fixture)
from unicx.assembly import migrate_workspace
from unicx.channels.base import OutboundMessage
from unicx.channels.deadletter import list_dead
from unicx.channels.email import EmailChannel
from unicx.channels.outbox import UNCONFIRMED
from unicx.channels.retry import DEFAULT_MAX_ATTEMPTS
from unicx.channels.sms import SmsChannel


def _boom(self: Any, message: OutboundMessage, config: Any) -> Any:
    raise KeyError("a defect, with text from somewhere: AKIA-NOT-FOR-THE-LOG")


def test_an_unexpected_error_is_retried_then_dead(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SmsChannel, "send", _boom)
    world.person("lan", phone="+84912345678")
    world.queue("s", "lan", "sms")
    now = T
    for attempt in range(1, DEFAULT_MAX_ATTEMPTS + 1):
        result = world.dispatch(now)
        row = world.row("s")
        assert row["attempts"] == attempt and row["status"] != "sending"
        assert row["last_error"] == "unexpected error in the channel: KeyError"
        now = max(now, row["due_at"])
    assert world.status("s")[0] == "dead" and result.failed == 1
    assert world.events("s") == ["retry"] * (DEFAULT_MAX_ATTEMPTS - 1) + ["dead"]
    assert [d.message_id for d in list_dead(world.store)] == ["s"]
    assert world.gateway.bodies == []


def test_unexpected_after_the_handover_is_not_sent_again(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def handed_then_boom(self: Any, message: OutboundMessage, config: Any) -> Any:
        assert message.handover is not None
        message.handover()  # the mail server may now have it
        raise RuntimeError("a defect after the hand-over")

    monkeypatch.setattr(EmailChannel, "send", handed_then_boom)
    world.person("lan")
    world.queue("e", "lan", "email")
    world.dispatch(T)
    assert world.status("e") == ("sent", UNCONFIRMED)
    assert world.dispatch(T + timedelta(days=1)).claimed == 0
    assert world.outbox.recover() == 0  # a restart sends nothing either


def test_recovery_gives_up_on_a_message_that_kills_every_start(world: World) -> None:  # noqa: F811
    """Left 'sending' by a crash: queued again while tries are left (one more than
    max_attempts at most), dead after."""
    world.person("lan", phone="+84912345678")
    for mid in ("first", "last", "over"):
        world.queue(mid, "lan", "sms")
    tries = {"first": 1, "last": DEFAULT_MAX_ATTEMPTS, "over": DEFAULT_MAX_ATTEMPTS + 1}
    with world.store.session() as s, s.transaction():
        for mid, attempts in tries.items():
            s.execute(
                "UPDATE messages SET status = 'sending', attempts = ? WHERE message_id = ?",
                [attempts, mid],
                step="test.crashed",
            )
    assert world.outbox.recover() == 2
    assert [world.status(m)[0] for m in tries] == ["queued", "queued", "dead"]
    assert "stopped while sending" in world.row("over")["last_error"]
    assert world.events("over") == ["dead"]


def test_migration_11_scrubs_answers_logged_before(world: World) -> None:  # noqa: F811
    """Errors written before the outbound guard kept up to 200 bytes of the answer."""
    old = {
        "h": 'webhook receiver answered HTTP 403: {"Code": "AKIA",\n "Token": "x"}',
        "s": "SMTP 550: b'5.1.1 <root@internal> banner of an internal service'",
        "k": "provider answered HTTP 429",  # already clean: unchanged
    }
    world.person("lan")
    with world.store.session() as s, s.transaction():
        for mid, error in old.items():
            s.execute(
                "INSERT INTO messages (message_id, profile_id, channel, category, spec, status, "
                "last_error, created_at, due_at, updated_at) VALUES (?, ?, ?, 'marketing', ?, "
                "'dead', ?, ?, ?, ?)",
                [mid, "lan", "webhook", "{}", error, T, T, T],
                step="test.old",
            )
            s.execute(
                "INSERT INTO message_events VALUES (?, 'lan', 'webhook', 'dead', ?, "
                "json_object('error', ?, 'attempt', 3))",
                [mid, T, error],
                step="test.old_event",
            )
        s.execute("DELETE FROM schema_migrations WHERE version = 11", step="test.undo")
    assert migrate_workspace(world.store) == [11]
    with world.store.session() as s:
        errors = dict(s.fetchall("SELECT message_id, last_error FROM messages", step="t"))
        details = s.fetchall("SELECT message_id, detail FROM message_events", step="t")
    expected = {"h": "webhook receiver answered HTTP 403", "s": "SMTP 550",
                "k": "provider answered HTTP 429"}  # fmt: skip
    assert errors == expected
    assert {m: json.loads(d) for m, d in details} == {
        m: {"error": e, "attempt": 3} for m, e in expected.items()
    }
