"""A channel that raises what no channel should (a defect, not a provider's answer): the
message is retried within its channel's max_attempts and then dead, never left 'sending' to
be sent again at every restart; one already handed over is logged sent, never sent twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.channels.test_policy import T, World, world  # noqa: F401  (the fixture)
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
    assert [d["message_id"] for d in list_dead(world.store)] == ["s"]
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
