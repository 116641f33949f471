"""SMS and push through the generic HTTP provider, against a real local HTTP server: request
body and auth as configured, GSM-7 / UCS-2 segment counting, E.164 numbers, status mapping."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from tests.helpers import LOOPBACK, free_port
from unicx.channels.base import (
    ChannelContext,
    OutboundMessage,
    RetryableSendError,
    TerminalSendError,
    get_channel,
)
from unicx.channels.http_provider import HttpProviderConfig
from unicx.channels.push import PushChannel, PushConfig
from unicx.channels.sms import SmsChannel, SmsConfig, fold_diacritics, segments, to_e164
from unicx.config import load_settings
from unicx.workspace import init_workspace, open_store

VI_TEXT = "Xin chào Lan, đơn hàng của bạn đã được giao"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Recorder:
    """A threaded HTTP server that records every request and answers from a script of
    (status, body, delay_s); the last entry repeats once the script runs out."""

    script: list[tuple[int, bytes, float]] = field(default_factory=lambda: [(200, b"{}", 0.0)])
    seen: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def answer(self, *script: tuple[int, bytes, float]) -> None:
        self.script = list(script)

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                recorder.seen.append(
                    Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                         body)
                )  # fmt: skip
                status, answer, delay = (
                    recorder.script.pop(0) if len(recorder.script) > 1 else recorder.script[0]
                )
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = _handle
            do_PUT = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder().start()
    try:
        yield rec
    finally:
        rec.stop()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelContext]:
    path: Path = tmp_path_factory.mktemp("ws") / "ws"
    settings = load_settings(workspace=path, outbound_allow=LOOPBACK)  # the recorder's address
    init_workspace(settings)
    store = open_store(settings)
    try:
        yield ChannelContext(store=store, settings=settings)
    finally:
        store.close()


def message(address: str, **content: Any) -> OutboundMessage:
    return OutboundMessage(message_id="msg_1", profile_id="p1", channel="sms", address=address,
                           content=content)  # fmt: skip


def sms_config(url: str, **extra: Any) -> SmsConfig:
    provider = {
        "url": url,
        "auth": {"kind": "bearer", "token": "tok-secret"},
        "body_template": '{"to": {{ to | tojson }}, "msg": {{ text | tojson }}, '
        '"from": {{ sender | tojson }}, "ref": {{ message_id | tojson }}}',
        "provider_id_path": "data.id",
        "timeout_s": 0.5,
        **extra.pop("provider", {}),
    }
    return SmsConfig.model_validate({"provider": provider, "sender": "SHOP", **extra})


# -- segment counting ------------------------------------------------------------------------


def test_vietnamese_is_ucs2() -> None:
    counted = segments(VI_TEXT)
    assert (counted.encoding, counted.parts, counted.units) == ("UCS-2", 1, len(VI_TEXT))
    seventy = ("Cảm ơn bạn " * 7)[:70]
    assert segments(seventy).parts == 1
    seventy_one = seventy + "ạ"
    assert len(seventy_one) == 71 and segments(seventy_one) == segments(seventy_one)
    assert segments(seventy_one).parts == 2
    assert segments("ạ" * 134).parts == 2 and segments("ạ" * 135).parts == 3


def test_gsm7_counts_and_extension_chars() -> None:
    assert segments("a" * 160).parts == 1 and segments("a" * 161).parts == 2
    assert segments("a" * 306).parts == 2 and segments("a" * 307).parts == 3
    # à, é, Ä are in the GSM basic set: still one septet each.
    assert segments("Hà Nội").encoding == "UCS-2"  # ộ is not
    assert segments("à é Ä Ñ £ ¥ @").encoding == "GSM-7"
    euro = segments("€" * 80)
    assert (euro.encoding, euro.units, euro.parts) == ("GSM-7", 160, 1)
    assert segments("€" * 81).parts == 2
    for ch in "^{}\\[~]|€":
        assert segments(ch).units == 2, ch
    # An escape pair is never split across parts: 152 + (€ moves to part 2) + 152 → 3 parts.
    assert segments("a" * 152 + "€" + "a" * 152).parts == 3


def test_emoji_is_two_code_units() -> None:
    assert segments("😀").units == 2
    assert segments("😀" * 35).parts == 1
    assert segments("😀" * 36).parts == 2


def test_fold_diacritics_fits_gsm7() -> None:
    folded = fold_diacritics(VI_TEXT)
    assert folded == "Xin chao Lan, don hang cua ban da duoc giao"
    assert segments(folded).encoding == "GSM-7"
    assert fold_diacritics("ĐẶNG Thị Ánh") == "DANG Thi Anh"


def test_e164() -> None:
    assert to_e164("0912 345 678") == "+84912345678"
    assert to_e164("+84 912-345-678") == "+84912345678"
    assert to_e164("(415) 555-2671", "US") == "+14155552671"
    for bad in ("12345", "", "not a phone", "0" * 80):
        with pytest.raises(TerminalSendError) as err:
            to_e164(bad)
        assert err.value.bounce


# -- SMS over HTTP ---------------------------------------------------------------------------


def test_sms_request_body_and_bearer(recorder: Recorder, ctx: ChannelContext) -> None:
    recorder.answer((200, b'{"data": {"id": 12345}}', 0))
    channel = SmsChannel(ctx)
    text = 'Mã "OTP" là {{ 1 }} \\ </script>' + VI_TEXT
    result = channel.send(message("0912 345 678", text=text), sms_config(recorder.url))
    assert result.provider_id == "12345"
    (req,) = recorder.seen
    assert req.method == "POST" and req.headers["authorization"] == "Bearer tok-secret"
    assert req.headers["content-type"] == "application/json"
    assert req.json() == {"to": "+84912345678", "msg": text, "from": "SHOP", "ref": "msg_1"}


def test_sms_basic_auth_put_headers_and_folding(recorder: Recorder, ctx: ChannelContext) -> None:
    config = sms_config(
        recorder.url,
        provider={"method": "PUT", "auth": {"kind": "basic", "username": "u", "password": "p:w"},
                  "headers": {"X-Api-Key": "k1"}, "provider_id_path": None},
        fold_diacritics=True,
    )  # fmt: skip
    result = SmsChannel(ctx).send(message("+84912345678", text=VI_TEXT), config)
    assert result.provider_id is None
    (req,) = recorder.seen
    assert req.method == "PUT" and req.headers["x-api-key"] == "k1"
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"u:p:w").decode()
    assert req.json()["msg"] == "Xin chao Lan, don hang cua ban da duoc giao"


def test_sms_refused_before_any_request(recorder: Recorder, ctx: ChannelContext) -> None:
    channel = SmsChannel(ctx)
    with pytest.raises(TerminalSendError, match="max_segments"):
        channel.send(message("0912345678", text="ạ" * 200), sms_config(recorder.url,
                                                                       max_segments=2))  # fmt: skip
    with pytest.raises(TerminalSendError) as err:
        channel.send(message("123", text="hi"), sms_config(recorder.url))
    assert err.value.bounce
    with pytest.raises(TerminalSendError, match="empty"):
        channel.send(message("0912345678", text="  "), sms_config(recorder.url))
    with pytest.raises(TerminalSendError, match="no url"):
        channel.send(message("0912345678", text="hi"), SmsConfig())
    assert recorder.seen == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableSendError), (503, RetryableSendError), (429, RetryableSendError),
     (400, TerminalSendError), (401, TerminalSendError), (404, TerminalSendError),
     (302, TerminalSendError)],
)  # fmt: skip
def test_status_mapping(
    recorder: Recorder, ctx: ChannelContext, status: int, error: type[Exception]
) -> None:
    recorder.answer((status, b'{"error": "nope"}', 0))
    with pytest.raises(error) as err:
        SmsChannel(ctx).send(message("0912345678", text="hi"), sms_config(recorder.url))
    assert f"HTTP {status}" in str(err.value)
    assert "tok-secret" not in str(err.value)


def test_500_then_200(recorder: Recorder, ctx: ChannelContext) -> None:
    recorder.answer((500, b"down", 0), (200, b'{"data": {"id": "abc"}}', 0))
    channel, config = SmsChannel(ctx), sms_config(recorder.url)
    with pytest.raises(RetryableSendError):
        channel.send(message("0912345678", text="hi"), config)
    assert channel.send(message("0912345678", text="hi"), config).provider_id == "abc"
    assert len(recorder.seen) == 2


def test_timeout_and_refused_are_retryable(recorder: Recorder, ctx: ChannelContext) -> None:
    recorder.answer((200, b"{}", 1.5))
    started = time.monotonic()
    with pytest.raises(RetryableSendError, match="timed out"):
        SmsChannel(ctx).send(message("0912345678", text="hi"), sms_config(recorder.url))
    assert time.monotonic() - started < 1.4
    closed = f"http://127.0.0.1:{free_port()}/send"
    with pytest.raises(RetryableSendError, match="unreachable"):
        SmsChannel(ctx).send(message("0912345678", text="hi"), sms_config(closed))


# -- config validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider",
    [
        {"url": "ftp://example.com/x"},
        {"url": "javascript:alert(1)"},
        {"url": "/relative"},
        {"body_template": '{"to": {{ to }}'},  # not JSON once rendered
        {"body_template": '{"to": {{ too | tojson }}}'},  # misspelt variable
        {"body_template": "{{ ''.__class__.__mro__ | tojson }}"},  # sandbox
        {"body_template": "{% for x in %}"},
        {"headers": {"X-Evil": "a\r\nInjected: 1"}},
        {"headers": {"Bad Name": "x"}},
        {"auth": {"kind": "bearer"}},
        {"auth": {"kind": "digest", "token": "x"}},
        {"method": "GET"},
        {"bounce_statuses": [500]},
        {"provider_id_path": "a..b"},
        {"unknown": 1},
    ],
)
def test_bad_provider_config_is_refused(provider: dict[str, Any]) -> None:
    with pytest.raises(PydanticValidationError):
        HttpProviderConfig.model_validate(provider)


def test_default_configs_are_valid() -> None:
    assert SmsConfig().max_segments == 6 and not SmsConfig().fold_diacritics
    assert PushConfig().provider.url == ""
    with pytest.raises(PydanticValidationError):
        SmsConfig.model_validate({"max_segments": 0})
    with pytest.raises(PydanticValidationError):
        SmsConfig.model_validate({"sender": "x", "nope": True})


def test_registered() -> None:
    sms, push = get_channel("sms"), get_channel("push")
    assert sms is SmsChannel and sms.address_kind == "phone" and sms.required_parts == ("text",)
    assert push is PushChannel and push.required_parts == ("title", "body")
    assert push.optional_parts == ("url", "image") and push.address_kind == "push_token"


# -- push -------------------------------------------------------------------------------------


def push_message(token: str, **content: Any) -> OutboundMessage:
    return OutboundMessage(message_id="msg_p", profile_id="p1", channel="push", address=token,
                           content=content)  # fmt: skip


def test_push_body(recorder: Recorder, ctx: ChannelContext) -> None:
    recorder.answer((201, b'{"name": "projects/x/messages/99"}', 0))
    template = (
        '{"message": {"token": {{ to | tojson }}, "notification": '
        '{"title": {{ title | tojson }}, "body": {{ body | tojson }}}, '
        '"data": {{ extra | tojson }}, "app": {{ sender | tojson }}}}'
    )
    provider = {"url": recorder.url, "auth": {"kind": "bearer", "token": "push-secret"},
                "provider_id_path": "name", "body_template": template}  # fmt: skip
    config = PushConfig.model_validate({"sender": "app-1", "provider": provider})
    result = PushChannel(ctx).send(
        push_message("tok:APA91b-x_y", title="Đơn hàng", body="Đã giao", url="https://x.vn/o/1"),
        config,
    )
    assert result.provider_id == "projects/x/messages/99"
    (req,) = recorder.seen
    assert req.headers["authorization"] == "Bearer push-secret"
    assert req.json() == {"message": {
        "token": "tok:APA91b-x_y", "notification": {"title": "Đơn hàng", "body": "Đã giao"},
        "data": {"url": "https://x.vn/o/1"}, "app": "app-1"}}  # fmt: skip


def test_push_unregistered_token_bounces(recorder: Recorder, ctx: ChannelContext) -> None:
    recorder.answer((410, b'{"error": "Unregistered"}', 0))
    config = PushConfig.model_validate({"provider": {"url": recorder.url,
                                                     "bounce_statuses": [404, 410]}})  # fmt: skip
    with pytest.raises(TerminalSendError) as err:
        PushChannel(ctx).send(push_message("tok1", title="t", body="b"), config)
    assert err.value.bounce
    recorder.answer((400, b"{}", 0))
    with pytest.raises(TerminalSendError) as err:
        PushChannel(ctx).send(push_message("tok1", title="t", body="b"), config)
    assert not err.value.bounce
    for bad in ("", "has space", "x" * 5000):
        with pytest.raises(TerminalSendError) as err:
            PushChannel(ctx).send(push_message(bad, title="t", body="b"), config)
        assert err.value.bounce
    assert len(recorder.seen) == 2
