"""The outbound guard (SSRF): internal addresses in every spelling are refused unless
allow-listed, the connection goes to the address that was checked (DNS rebinding), and a
provider's answer never lands in the message log."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.channels.test_sms_push import Recorder, ctx, message, recorder, sms_config  # noqa: F401
from tests.conftest import Workspace
from tests.helpers import (
    LOOPBACK_ENV,
    ServerProcess,
    basic,
    bearer,
    eventually,
    free_port,
    quiet_hours_off,
)
from tests.smtp import smtp_server
from unicx.channels.base import ChannelContext, SendError
from unicx.channels.email import EmailChannel, SmtpConfig
from unicx.channels.outbound import OutboundRefusedError, resolve
from unicx.channels.sms import SmsChannel
from unicx.config import load_settings

INTERNAL = [
    "127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "localhost", "0.0.0.0",
    "169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1",
    "100.100.100.200", "224.0.0.1", "255.255.255.255", "240.0.0.1", "198.18.0.1",
    "::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:a00:1", "fe80::1",
    "fc00::1", "fd00:ec2::254", "ff02::1", "64:ff9b::a9fe:a9fe", "::7f00:1", "[::1]",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "203.113.131.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("host", INTERNAL)
def test_internal_addresses_are_refused(host: str) -> None:
    with pytest.raises(OutboundRefusedError, match="outbound_allow"):
        resolve(host, 80, allow=[], what="url")


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_pass(host: str) -> None:
    assert resolve(host, 443, allow=[], what="url")


@pytest.mark.parametrize(
    ("host", "allow", "ok"),
    [("127.0.0.1", ["127.0.0.1"], True), ("127.0.0.2", ["127.0.0.1"], False),
     ("10.1.2.3", ["10.0.0.0/8"], True), ("127.0.0.1", ["10.0.0.0/8"], False),
     ("localhost", ["localhost"], True), ("169.254.169.254", ["localhost"], False),
     ("::1", ["::1/128"], True)],
)  # fmt: skip
def test_allow_list(host: str, allow: list[str], ok: bool) -> None:
    if ok:
        assert resolve(host, 80, allow=allow, what="url")
    else:
        with pytest.raises(OutboundRefusedError):
            resolve(host, 80, allow=allow, what="url")


def test_allow_list_setting_is_validated(tmp_path: Any) -> None:
    from unicx.errors import ConfigError

    ok = load_settings(workspace=tmp_path, outbound_allow=["10.0.0.0/8", "gw.corp.local", "::1"])
    assert ok.outbound_allow == ["10.0.0.0/8", "gw.corp.local", "::1"]
    for bad in (["10.0.0.0/33"], ["not a host"], ["http://x/"]):
        with pytest.raises(ConfigError, match="outbound_allow"):
            load_settings(workspace=tmp_path, outbound_allow=bad)


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``rebind.test`` answers 127.0.0.1 to the first lookup and an address nothing listens
    on to every later one, as an attacker's DNS server would (a TTL of 0)."""
    real, asked = socket.getaddrinfo, []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            asked.append(host)
            host = "127.0.0.1" if len(asked) == 1 else "10.255.255.1"
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    yield asked


def test_http_connects_to_the_checked_address(
    recorder: Recorder,  # noqa: F811
    ctx: ChannelContext,  # noqa: F811  (allows 127.0.0.1)
    rebinding: list[str],
) -> None:
    port = recorder.url.split(":")[2].split("/")[0]
    url = f"http://rebind.test:{port}/send"
    SmsChannel(ctx).send(message("0912345678", text="hi"), sms_config(url))
    (seen,) = recorder.seen  # a second lookup would have sent it to 10.255.255.1
    assert seen.headers["host"] == f"rebind.test:{port}"
    assert rebinding == ["rebind.test"]


def test_smtp_connects_to_the_checked_address(
    ctx: ChannelContext,  # noqa: F811
    rebinding: list[str],
) -> None:
    with smtp_server() as (inbox, port):
        config = SmtpConfig(host="rebind.test", port=port, timeout_s=2)
        mail = message("lan@example.vn", subject="Chào", html="<p>Xin chào</p>")
        EmailChannel(ctx).send(mail, config)
    assert len(inbox.messages) == 1 and rebinding == ["rebind.test"]


def test_send_time_refusal_without_the_allow_list(
    recorder: Recorder,  # noqa: F811
    ctx: ChannelContext,  # noqa: F811
    tmp_path: Any,
) -> None:
    plain = ChannelContext(store=ctx.store, settings=load_settings(workspace=tmp_path))
    with pytest.raises(OutboundRefusedError):
        SmsChannel(plain).send(message("0912345678", text="hi"), sms_config(recorder.url))
    with pytest.raises(OutboundRefusedError):
        config = SmtpConfig(host="169.254.169.254", port=free_port(), timeout_s=1)
        EmailChannel(plain).send(message("a@example.vn", subject="s", html="h"), config)
    assert recorder.seen == []


@pytest.mark.parametrize("status", [400, 404, 302, 500])
def test_answers_never_reach_the_error(
    recorder: Recorder,  # noqa: F811
    ctx: ChannelContext,  # noqa: F811
    status: int,
) -> None:
    recorder.answer((status, b'{"aws_secret": "AKIA-INTERNAL-ANSWER"}', 0))
    with pytest.raises(SendError) as err:
        SmsChannel(ctx).send(message("0912345678", text="hi"), sms_config(recorder.url))
    text = err.value.message
    assert f"HTTP {status}" in text and "AKIA" not in text and "aws_secret" not in text


# -- against a real server with the default settings, as a marketer (the lowest role that can
# set a channel config or a journey) ---------------------------------------------------------

ATTACKS = ["127.0.0.1", "169.254.169.254", "10.0.0.5", "2130706433", "[::ffff:127.0.0.1]"]


@pytest.fixture
def marketer(server: ServerProcess, workspace: Workspace) -> Iterator[httpx.Client]:
    admin = bearer(workspace.secret_key)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/v1/keys", headers=admin, json={"name": "m", "role": "marketer"})
        assert r.status_code == 201, r.text
        c.headers.update(bearer(r.json()["secret_key"]))
        yield c


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 400, r.text
    issues = {i["field"]: i["rule"] for i in r.json()["issues"]}
    assert issues.get(field) == "outbound_refused", r.text


@pytest.mark.slow
def test_provider_urls_and_smtp_host_refused_on_save(
    marketer: httpx.Client,
    recorder: Recorder,  # noqa: F811
) -> None:
    port = recorder.url.split(":")[2].split("/")[0]
    for host in ATTACKS:
        for channel in ("sms", "push"):
            provider = {"url": f"http://{host}:{port}/latest/meta-data/"}
            r = marketer.put(f"/v1/channels/{channel}", json={"config": {"provider": provider}})
            _refused(r, "config.provider.url")
        smtp = {"host": host.strip("[]"), "port": 25}
        _refused(marketer.put("/v1/channels/email", json={"config": smtp}), "config.host")
    fine = {"provider": {"url": "https://8.8.8.8/sms"}}
    assert marketer.put("/v1/channels/sms", json={"config": fine}).status_code == 200
    assert recorder.seen == []


@pytest.mark.slow
def test_journey_webhook_url_refused_on_save(marketer: httpx.Client) -> None:
    for host in ATTACKS:
        hook = {"type": "webhook", "url": f"http://{host}/hook", "payload": "{}", "next": "x"}
        definition = {"name": "Hook", "entry": {"type": "event", "event": "E"}, "start": "h",
                      "nodes": {"h": hook, "x": {"type": "exit"}}}  # fmt: skip
        for path in ("/v1/journeys", "/v1/journeys/validate"):
            _refused(marketer.post(path, json={"definition": definition}), "nodes.h.url")


@pytest.mark.slow
def test_refused_at_send_time(workspace: Workspace, recorder: Recorder) -> None:  # noqa: F811
    """A journey saved while the allow-list let loopback through (or before this guard
    existed), sent after it no longer does: the send refuses, the receiver sees nothing and
    the log says why."""
    first = ServerProcess(workspace.path, env=LOOPBACK_ENV).start(timeout=90)
    try:
        with httpx.Client(base_url=first.url, headers=bearer(workspace.secret_key)) as c:
            quiet_hours_off(c, workspace.secret_key)
            r = c.put("/v1/channels/webhook", json={"config": {"signing_secret": "s" * 20}})
            assert r.status_code == 200, r.text
            hook = {"type": "webhook", "url": recorder.url, "payload": "{}", "next": "x"}
            definition = {"name": "Hook", "entry": {"type": "event", "event": "Signed Up"},
                          "start": "h", "nodes": {"h": hook, "x": {"type": "exit"}}}  # fmt: skip
            r = c.post("/v1/journeys", json={"definition": definition})
            assert r.status_code == 201, r.text
            assert c.post(f"/v1/journeys/{r.json()['journey_id']}/publish").status_code == 200
    finally:
        first.stop()
    server = ServerProcess(workspace.path).start(timeout=90)  # the default settings
    try:
        track = {"userId": "u1", "event": "Signed Up"}
        r = httpx.post(f"{server.url}/v1/track", headers=basic(workspace.write_key), json=track)
        assert r.status_code == 200, r.text
        with httpx.Client(base_url=server.url, headers=bearer(workspace.secret_key)) as c:

            def failed() -> bool:
                log = c.get("/v1/messages").json()
                return bool(log) and log[0]["status"] == "failed"

            eventually(failed, "the webhook message failed")
            (row,) = c.get("/v1/messages").json()
    finally:
        server.stop()
    assert "internal address" in row["last_error"] and recorder.seen == []
