"""Webhooks against a real local receiver: signed requests that verify (and stop verifying
when tampered with or replayed late), status mapping, refused URLs, and retry timing."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticValidationError

from tests.channels.test_sms_push import Recorder, ctx, recorder  # noqa: F401  (fixtures)
from unicx.channels.base import (
    ChannelContext,
    OutboundMessage,
    RetryableSendError,
    TerminalSendError,
    get_channel,
)
from unicx.channels.retry import RetryPolicy, exhausted, next_delay, policy_for
from unicx.channels.sms import SmsConfig
from unicx.channels.webhook import WebhookChannel, WebhookConfig, sign, verify_signature

SECRET = "whsec_0123456789abcdef"
PAYLOAD = json.dumps({"event": "order_shipped", "name": "Lan", "note": "đã giao"})


def hook(address: str, payload: Any = PAYLOAD, **content: Any) -> OutboundMessage:
    return OutboundMessage(message_id="msg_w1", profile_id="p1", channel="webhook", address=address,
                           content={"payload": payload, **content})  # fmt: skip


def config(**extra: Any) -> WebhookConfig:
    return WebhookConfig.model_validate({"signing_secret": SECRET, "timeout_s": 0.5, **extra})


def test_sign_and_verify() -> None:
    now = 1_700_000_000
    header = sign(SECRET, PAYLOAD, now)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    assert verify_signature(SECRET, header, PAYLOAD, now=now + 10)
    assert verify_signature(SECRET, header, PAYLOAD.encode(), now=now - 299)
    assert not verify_signature(SECRET, header, PAYLOAD.replace("Lan", "Lam"), now=now)
    assert not verify_signature(SECRET, header, PAYLOAD, now=now + 301)  # replayed late
    assert not verify_signature("another-secret-value", header, PAYLOAD, now=now)
    rotated = f"{header},v1={'0' * 64}"
    assert verify_signature(SECRET, rotated, PAYLOAD, now=now)
    for bad in ("", "t=,v1=", f"v1={header.split('v1=')[1]}", "garbage", f"t=abc,{header}",
                f"t={now}", f"t={now},v1=", "t=99999999999999999999,v1=00"):  # fmt: skip
        assert not verify_signature(SECRET, bad, PAYLOAD, now=now), bad


def test_signed_request_arrives(recorder: Recorder, ctx: ChannelContext) -> None:  # noqa: F811
    result = WebhookChannel(ctx).send(hook(recorder.url), config(headers={"X-Tenant": "shop1"}))
    assert result.detail == "HTTP 200"
    (req,) = recorder.seen
    assert req.method == "POST" and req.body == PAYLOAD.encode()
    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-unicx-message-id"] == "msg_w1" and req.headers["x-tenant"] == "shop1"
    assert verify_signature(SECRET, req.headers["x-unicx-signature"], req.body, now=time.time())
    assert not verify_signature(SECRET, req.headers["x-unicx-signature"], req.body + b" ",
                                now=time.time())  # fmt: skip


def test_url_part_overrides_address(recorder: Recorder, ctx: ChannelContext) -> None:  # noqa: F811
    WebhookChannel(ctx).send(
        hook("ftp://ignored", payload={"a": 1}, url=recorder.url + "?x=1"), config()
    )
    (req,) = recorder.seen
    assert req.path == "/send?x=1" and json.loads(req.body) == {"a": 1}


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableSendError), (502, RetryableSendError), (429, RetryableSendError),
     (400, TerminalSendError), (410, TerminalSendError), (301, TerminalSendError)],
)  # fmt: skip
def test_status_mapping(
    recorder: Recorder,  # noqa: F811
    ctx: ChannelContext,  # noqa: F811
    status: int,
    error: type[Exception],
) -> None:
    recorder.answer((status, b"{}", 0))
    with pytest.raises(error):
        WebhookChannel(ctx).send(hook(recorder.url), config())


def test_500_then_200_same_message_id(recorder: Recorder, ctx: ChannelContext) -> None:  # noqa: F811
    recorder.answer((500, b"", 0), (200, b"", 0))
    channel = WebhookChannel(ctx)
    with pytest.raises(RetryableSendError):
        channel.send(hook(recorder.url), config())
    channel.send(hook(recorder.url), config())
    assert [r.headers["x-unicx-message-id"] for r in recorder.seen] == ["msg_w1", "msg_w1"]


def test_slow_receiver_times_out(recorder: Recorder, ctx: ChannelContext) -> None:  # noqa: F811
    recorder.answer((200, b"", 1.5))
    with pytest.raises(RetryableSendError, match="timed out"):
        WebhookChannel(ctx).send(hook(recorder.url), config(timeout_s=0.3))


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "", "example.com/x",
     "http://", "gopher://127.0.0.1:25/"],
)  # fmt: skip
def test_refused_urls(ctx: ChannelContext, url: str) -> None:  # noqa: F811
    with pytest.raises(TerminalSendError, match="url"):
        WebhookChannel(ctx).send(hook(url), config())


def test_refused_payload_and_config(recorder: Recorder, ctx: ChannelContext) -> None:  # noqa: F811
    channel = WebhookChannel(ctx)
    with pytest.raises(TerminalSendError, match="not JSON"):
        channel.send(hook(recorder.url, payload="{not json"), config())
    with pytest.raises(TerminalSendError, match="signing_secret"):
        channel.send(hook(recorder.url), WebhookConfig())
    assert recorder.seen == []
    for bad in ({"signing_secret": "short"}, {"headers": {"X-Unicx-Signature": "forged"}},
                {"headers": {"content-type": "text/plain"}}, {"headers": {"X": "a\nb"}},
                {"max_attempts": 0}, {"backoff_base_s": -1}, {"url": "x"}):  # fmt: skip
        with pytest.raises(PydanticValidationError):
            WebhookConfig.model_validate(bad)


def test_registered() -> None:
    cls = get_channel("webhook")
    assert cls is WebhookChannel and cls.address_kind == "url"
    assert cls.required_parts == ("payload",) and cls.optional_parts == ("url",)


# -- retry timing -----------------------------------------------------------------------------


@given(
    attempt=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=600),
    cap=st.floats(min_value=0.01, max_value=86400),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_bounds(attempt: int, base: float, cap: float, seed: int) -> None:
    policy = RetryPolicy(max_attempts=8, base_s=base, cap_s=cap)
    delay = next_delay(policy, attempt, random.Random(seed))
    assert 0 <= delay <= min(cap, base * 2 ** (attempt - 1))


def test_backoff_grows_and_is_jittered() -> None:
    policy = RetryPolicy(max_attempts=8, base_s=2, cap_s=3600)
    rng = random.Random(7)
    first = [next_delay(policy, 1, rng) for _ in range(200)]
    sixth = [next_delay(policy, 6, rng) for _ in range(200)]
    assert max(first) <= 2 and max(sixth) <= 64 and max(sixth) > 40
    assert len(set(first)) == 200  # full jitter: no two retries in lock step
    assert max(next_delay(policy, 30, rng) for _ in range(100)) <= 3600


def test_exhausted_and_policy_for() -> None:
    hooks = policy_for("webhook", WebhookConfig())
    assert hooks == RetryPolicy(max_attempts=8, base_s=2, cap_s=3600)
    assert policy_for("webhook", config(max_attempts=3, backoff_base_s=5)).max_attempts == 3
    assert policy_for("sms", SmsConfig()) == RetryPolicy(max_attempts=5, base_s=30, cap_s=3600)
    assert policy_for("email", None) == RetryPolicy(5, 30, 3600)
    assert not exhausted(hooks, 7) and exhausted(hooks, 8) and exhausted(hooks, 9)
