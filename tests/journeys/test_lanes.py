"""A provider that hangs holds up only its own channel: while every webhook call waits on a
receiver that does not answer, e-mails due at the same time still go out (a delivery lane per
channel, unicx.channels.lanes). With one pool for all channels the held webhook calls took
every sending thread and the e-mails waited for the receiver's timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import LOOPBACK, basic, bearer, eventually, quiet_hours_off
from tests.smtp import smtp_server
from unicx.api import create_app
from unicx.config import load_settings

WORKERS = 2
HANGING = 2 * WORKERS  # more held calls than one lane's threads


class Hanging:
    """An HTTP receiver that holds every request until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.held = 0
        self.answered = 0
        self._lock = threading.Lock()
        hanging = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with hanging._lock:
                    hanging.held += 1
                hanging.release.wait(60)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                with hanging._lock:
                    hanging.answered += 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Hanging:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    with Hanging() as receiver:
        yield receiver


def _journey(event: str, node: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": event,
        "entry": {"type": "event", "event": event},
        "start": "act",
        "nodes": {"act": {**node, "next": "done"}, "done": {"type": "exit"}},
    }


def test_hanging_webhooks_do_not_hold_up_email(workspace: Workspace, hanging: Hanging) -> None:
    settings = load_settings(
        workspace=workspace.path, journey_tick_ms=50, send_workers=WORKERS, outbound_allow=LOOPBACK
    )
    admin, wk = bearer(workspace.secret_key), basic(workspace.write_key)
    with smtp_server() as (inbox, port), TestClient(create_app(settings)) as c:
        email = {"host": "127.0.0.1", "port": port, "from_address": "shop@example.vn"}
        for channel, config in [
            ("email", email),
            ("webhook", {"timeout_s": 60, "signing_secret": "khoa-bi-mat-0123456789"}),
        ]:
            r = c.put(f"/v1/channels/{channel}", headers=admin, json={"config": config})
            assert r.status_code == 200, r.text
        quiet_hours_off(c, workspace.secret_key)
        hook = {"type": "webhook", "url": hanging.url, "payload": "{}"}
        mail = {"type": "message", "channel": "email",
                "content": {"subject": "Chào bạn", "html": "<p>Xin chào</p>"}}  # fmt: skip
        for definition in [_journey("Order Shipped", hook), _journey("Signed Up", mail)]:
            r = c.post("/v1/journeys", headers=admin, json={"definition": definition})
            assert r.status_code == 201, r.text
            assert c.post(
                f"/v1/journeys/{r.json()['journey_id']}/publish", headers=admin
            ).is_success

        def events(event: str, people: range) -> None:
            batch = [{"type": "identify", "userId": f"u{i}",
                      "traits": {"email": f"khach{i}@example.vn"}} for i in people]  # fmt: skip
            batch += [{"type": "track", "userId": f"u{i}", "event": event} for i in people]
            assert c.post("/v1/batch", headers=wk, json={"batch": batch}).status_code == 200

        events("Order Shipped", range(HANGING))
        eventually(lambda: hanging.held == WORKERS, "the webhook lane's threads to be held")
        events("Signed Up", range(100, 105))
        eventually(lambda: len(inbox.messages) == 5, "the e-mails, while the webhooks hang")
        assert hanging.answered == 0 and hanging.held == WORKERS  # still hanging, no more taken
        hanging.release.set()
        eventually(lambda: hanging.answered == HANGING, "every webhook call once released")

        def webhook_statuses() -> list[str]:
            r = c.get("/v1/messages", headers=admin, params={"limit": 100})
            return sorted(m["status"] for m in r.json() if m["channel"] == "webhook")

        # The receiver counts a call when it answers; the lane records it just after.
        eventually(lambda: "sending" not in webhook_statuses(), "the answered calls recorded")
        assert webhook_statuses() == ["sent"] * HANGING
