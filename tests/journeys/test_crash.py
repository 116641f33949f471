"""SIGKILL the server mid-journey, start it again: no step is lost and the SMTP server on
loopback gets every message exactly once.

Two ways to die: at each fault point of the journey thread and the outbox (``crash_at``: the
server kills itself there, deterministically), and from outside at arbitrary moments while
messages are flowing to a slow mail server."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import LOOPBACK_ENV, ServerProcess, basic, bearer, eventually, quiet_hours_off
from tests.smtp import Inbox, smtp_server
from unicx.channels.outbox import UNCONFIRMED

pytestmark = pytest.mark.slow

PEOPLE = 24
SEND_THREADS = 1
JOURNEY = {
    "name": "Welcome series",
    "entry": {"type": "event", "event": "Signed Up"},
    "start": "hello",
    "nodes": {
        "hello": {
            "type": "message",
            "channel": "email",
            "content": {"subject": "Chào {{ traits.first_name }}", "html": "<p>Xin chào</p>"},
            "next": "pause",
        },
        "pause": {"type": "wait", "for": "1s", "next": "tips"},
        "tips": {
            "type": "message",
            "channel": "email",
            "content": {"subject": "Mẹo cho {{ traits.first_name }}", "html": "<p>Mẹo</p>"},
            "next": "done",
        },
        "done": {"type": "exit"},
    },
}


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server(Inbox(delay=0.02)) as server:  # the kill often lands before the reply
        yield server


_wait = partial(eventually, timeout=60.0)


def _server(workspace: Workspace, crash_at: str = "") -> ServerProcess:
    # One sending thread: a kill lands in at most one hand-over window (the few moments between
    # recording handed_over and the mail server's answer to the final "."; docs/journeys.md).
    env = {"UNICX_JOURNEY_TICK_MS": "50", "UNICX_CRASH_AT": crash_at,
           "UNICX_SEND_WORKERS": str(SEND_THREADS), **LOOPBACK_ENV}  # fmt: skip
    return ServerProcess(workspace.path, env=env).start(timeout=90)  # a loaded machine is slow


def _setup(server: ServerProcess, workspace: Workspace, smtp_port: int) -> str:
    admin = bearer(workspace.secret_key)
    with httpx.Client(base_url=server.url, headers=admin, timeout=30) as c:
        config = {"host": "127.0.0.1", "port": smtp_port, "from_address": "shop@example.vn"}
        r = c.put("/v1/channels/email", json={"config": config})
        assert r.status_code == 200, r.text
        quiet_hours_off(c, workspace.secret_key)  # the test runs at any hour
        r = c.post("/v1/journeys", json={"definition": JOURNEY})
        assert r.status_code == 201, r.text
        jid = str(r.json()["journey_id"])
        assert c.post(f"/v1/journeys/{jid}/publish").status_code == 200
    batch = []
    for i in range(PEOPLE):
        traits = {"email": f"khach{i}@example.vn", "first_name": f"Khách {i}"}
        batch.append({"type": "identify", "userId": f"u{i}", "traits": traits})
        batch.append({"type": "track", "userId": f"u{i}", "event": "Signed Up"})
    r = httpx.post(
        f"{server.url}/v1/batch", headers=basic(workspace.write_key), json={"batch": batch}
    )
    assert r.status_code == 200, r.text
    return jid


def _stats(server: ServerProcess, workspace: Workspace, jid: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/v1/journeys/{jid}/stats", headers=bearer(workspace.secret_key))
    assert r.status_code == 200, r.text
    stats: dict[str, Any] = r.json()
    return stats


def _message_log(server: ServerProcess, workspace: Workspace) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/v1/messages", headers=bearer(workspace.secret_key), params={"limit": 1000}
    )
    return list(answer.json())


def _finish_and_check(
    workspace: Workspace, inbox: Inbox, jid: str, server: ServerProcess, *, in_doubt_max: int = 0
) -> None:
    """Every message arrives exactly once, except that a kill while the mail server was taking
    one leaves that one in doubt: logged as sent, unconfirmed, and never sent twice
    (``Outbox.recover``), so it may be missing; at most ``in_doubt_max`` of them."""

    def in_doubt() -> set[str]:
        log = _message_log(server, workspace)
        return {m["message_id"] for m in log if m["reason"] == UNCONFIRMED}

    try:
        _wait(lambda: _stats(server, workspace, jid)["exits"].get("completed") == PEOPLE, "exits")
        try:
            _wait(lambda: len(set(inbox.ids()) | in_doubt()) == 2 * PEOPLE, "every message")
        except AssertionError:
            got, log = inbox.ids(), _message_log(server, workspace)
            missing = [(m["message_id"], m["status"], m["reason"])
                       for m in log if m["message_id"] not in got]  # fmt: skip
            raise AssertionError(f"missing at the mail server: {missing}") from None
        time.sleep(0.5)  # a duplicate would arrive now
        ids = inbox.ids()
        assert [m for m, n in ids.items() if n > 1] == []  # each exactly once
        logged = {m["message_id"] for m in _message_log(server, workspace)}
        missing = logged - set(ids)  # only those in doubt, and few
        assert missing <= in_doubt() and len(missing) <= in_doubt_max, missing
        assert len(logged) == 2 * PEOPLE and set(ids) <= logged, sorted(ids)
        stats = _stats(server, workspace, jid)
        assert stats["entered"] == PEOPLE and stats["in_progress"] == 0
        sent = stats["messages"]["email"]
        assert sent.get("sent", 0) + sent.get("delivered", 0) == 2 * PEOPLE, sent
    finally:
        server.stop()


@pytest.mark.parametrize(
    # after_claim leaves the batch in 'sending' like before_send, so it is not run separately.
    "crash_at",
    ["after_step_batch:2", "before_send:7", "after_send:7"],
)
def test_killed_at_each_fault_point(
    workspace: Workspace, smtp: tuple[Inbox, int], crash_at: str
) -> None:
    inbox, port = smtp
    server = _server(workspace, crash_at)
    try:
        jid = _setup(server, workspace, port)
        assert server.proc is not None
        code = server.proc.wait(60)  # the server kills itself at the fault point
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()
    assert code == -signal.SIGKILL, server.log()
    delivered = len(inbox.messages)
    assert delivered < 2 * PEOPLE  # it died with work left
    _finish_and_check(workspace, inbox, jid, _server(workspace))


def test_killed_from_outside_while_sending(workspace: Workspace, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    server = _server(workspace)
    try:
        jid = _setup(server, workspace, port)
        for threshold in (6, 30):
            _wait(lambda: len(inbox.messages) >= threshold, f"{threshold} messages")  # noqa: B023
            server.kill()
            assert len(inbox.messages) < 2 * PEOPLE
            server = _server(workspace)
    except BaseException:
        if server.proc is not None:
            server.kill()
        raise
    # Two kills, each may catch one message per sending thread in the mail server's hands.
    _finish_and_check(workspace, inbox, jid, server, in_doubt_max=2 * SEND_THREADS)
