"""Webhook nodes through the outbox against a real local HTTP server that fails first: signed
requests, retries with backoff on the journey clock, the same message id on every try, a dead
letter when the tries run out, replay from the dead-letter list; nobody else waits meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.channels.test_sms_push import Recorder, recorder  # noqa: F401 (fixture)
from tests.conftest import Workspace
from tests.helpers import LOOPBACK, basic, bearer, eventually
from unicx.api import create_app
from unicx.channels.webhook import verify_signature
from unicx.config import load_settings
from unicx.workspace import init_workspace

SECRET = "khoa-bi-mat-0123456789"
PAYLOAD = '{"email": {{ traits.email | tojson }}, "phone": {{ traits.phone | tojson }}}'


def _journey(url: str, event: str) -> dict[str, Any]:
    return {
        "name": f"{event} to ERP",
        "entry": {"type": "event", "event": event},
        "start": "erp",
        "nodes": {
            "erp": {
                "type": "webhook",
                "url": url,
                "payload": PAYLOAD,
                "next": "done",
            },
            "done": {"type": "exit"},
        },
    }


_wait = partial(eventually, timeout=20.0)


@dataclass
class Site:
    client: TestClient
    workspace: Workspace

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.workspace.secret_key)

    def start(self, url: str, event: str) -> str:
        """A published journey calling ``url`` when ``event`` happens; its id."""
        r = self.client.post(
            "/v1/journeys", headers=self.admin, json={"definition": _journey(url, event)}
        )
        assert r.status_code == 201, r.text
        jid = str(r.json()["journey_id"])
        assert self.client.post(f"/v1/journeys/{jid}/publish", headers=self.admin).is_success
        return jid

    def event(self, who: str, event: str) -> None:
        c, wk = self.client, basic(self.workspace.write_key)
        now = c.get("/v1/clock", headers=self.admin).json()["now"]
        identify = {"userId": who, "traits": {"email": f"{who}@example.vn"}, "timestamp": now}
        assert c.post("/v1/identify", headers=wk, json=identify).is_success
        body = {"userId": who, "event": event, "timestamp": now}
        assert c.post("/v1/track", headers=wk, json=body).status_code == 200

    def log(self, jid: str) -> list[dict[str, Any]]:
        r = self.client.get("/v1/messages", headers=self.admin, params={"journey": jid})
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()
        return rows

    def move_clock(self, seconds: int) -> None:
        r = self.client.post("/v1/clock", headers=self.admin, json={"seconds": seconds})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the module (its start is the slow part); each test its own journey."""
    path = tmp_path_factory.mktemp("webhooks") / "ws"
    settings = load_settings(
        workspace=path, clock_control=True, journey_tick_ms=50, outbound_allow=LOOPBACK
    )
    workspace = Workspace(path, settings, init_workspace(settings))
    with TestClient(create_app(settings)) as c:
        config = {"signing_secret": SECRET, "max_attempts": 3, "backoff_base_s": 60}
        r = c.put(
            "/v1/channels/webhook", headers=bearer(workspace.secret_key), json={"config": config}
        )
        assert r.status_code == 200, r.text
        assert r.json()["config"]["signing_secret"] == "***"
        yield Site(c, workspace)


def test_fails_twice_then_succeeds_with_the_same_id_and_a_valid_signature(
    site: Site,
    recorder: Recorder,  # noqa: F811 (the fixture)
) -> None:
    recorder.answer((500, b"{}", 0.0), (503, b"{}", 0.0), (200, b"{}", 0.0))
    jid = site.start(recorder.url, "Order Completed")
    site.event("khach-1", "Order Completed")
    _wait(lambda: len(recorder.seen) == 1, "the first try")
    # Nothing more until the backoff has passed on the journey clock.
    time.sleep(0.3)
    assert len(recorder.seen) == 1
    assert site.log(jid)[0]["status"] == "queued"
    for tries in (2, 3):
        site.move_clock(3600)
        _wait(lambda: len(recorder.seen) == tries, f"try {tries}")  # noqa: B023
    _wait(lambda: site.log(jid)[0]["status"] == "sent", "sent")
    ids = {seen.headers["x-unicx-message-id"] for seen in recorder.seen}
    assert len(ids) == 1
    for seen in recorder.seen:
        assert seen.json() == {"email": "khach-1@example.vn", "phone": None}  # no phone: null
        header = seen.headers["x-unicx-signature"]
        signed_at = int(header.split(",")[0].removeprefix("t="))
        assert verify_signature(SECRET, header, seen.body, now=signed_at)
        assert not verify_signature("another-secret-123456", header, seen.body, now=signed_at)


def test_dead_after_the_last_try_then_replayed(
    site: Site,
    recorder: Recorder,  # noqa: F811 (the fixture)
) -> None:
    admin, c = site.admin, site.client
    recorder.answer((500, b"{}", 0.0))
    jid = site.start(recorder.url, "Refund Requested")
    site.event("khach-2", "Refund Requested")
    _wait(lambda: len(recorder.seen) == 1, "the first try")
    for tries in (2, 3):  # each retry is due an hour later: once the previous one was made
        site.move_clock(3600)
        _wait(lambda: len(recorder.seen) == tries, f"try {tries}")  # noqa: B023
    _wait(lambda: site.log(jid)[0]["status"] == "dead", "dead")
    assert len(recorder.seen) == 3  # max_attempts
    (dead,) = c.get("/v1/messages/dead", headers=admin).json()
    assert "500" in str(dead["last_error"])

    # The receiver is fixed; replay sends it again, with the same id.
    recorder.answer((200, b"{}", 0.0))
    r = c.post(f"/v1/messages/{dead['message_id']}/replay", headers=admin)
    assert r.status_code == 200, r.text
    _wait(lambda: site.log(jid)[0]["status"] == "sent", "sent after replay")
    assert len({s.headers["x-unicx-message-id"] for s in recorder.seen}) == 1
    assert c.get("/v1/messages/dead", headers=admin).json() == []
    r = c.post(f"/v1/messages/{dead['message_id']}/replay", headers=admin)
    assert r.status_code == 409, r.text  # only dead or failed messages replay


def test_a_slow_receiver_does_not_hold_up_other_people(
    site: Site,
    recorder: Recorder,  # noqa: F811 (the fixture)
) -> None:
    recorder.answer((200, b"{}", 4.0))  # a slow receiver, still within its timeout
    site.start(recorder.url, "Review Posted")
    for i in range(3):
        site.event(f"khach-{i}", "Review Posted")
    arrived: list[float] = []
    deadline = time.monotonic() + 30
    while len(arrived) < 3 and time.monotonic() < deadline:
        arrived += [time.monotonic()] * (len(recorder.seen) - len(arrived))
        time.sleep(0.01)
    assert len(arrived) == 3
    # Sent one after another, each would start after the previous one's 4 s answer; in the
    # sending pool they overlap.
    assert arrived[-1] - arrived[0] < 4.0
