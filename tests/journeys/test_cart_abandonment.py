"""The cart-abandonment journey end to end through the HTTP API with a controllable clock, a
real SMTP server on loopback (aiosmtpd) and a real HTTP SMS gateway: buyers exit, the others get
the e-mail with their name, recommended items and a one-click unsubscribe header, then an SMS
with a voucher; unsubscribing stops further e-mail but not the SMS (consent is per channel)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.channels.test_sms_push import Recorder, recorder  # noqa: F401 (fixture)
from tests.conftest import Workspace
from tests.helpers import LOOPBACK, basic, bearer, quiet_hours_off
from tests.smtp import Inbox, smtp_server
from unicx.api import create_app
from unicx.config import load_settings


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


CART = {
    "name": "Cart abandonment",
    "entry": {"type": "event", "event": "Product Added"},
    "exit_when": [{"event": "Order Completed"}],
    "goal": {"event": "Order Completed", "within": "7d"},
    "start": "wait_1h",
    "nodes": {
        "wait_1h": {"type": "wait", "for": "1h", "next": "bought", "stage": "intent"},
        "bought": {
            "type": "condition",
            "event_since_entry": {"event": "Order Completed"},
            "yes": "done",
            "no": "email",
        },
        "email": {
            "type": "message",
            "channel": "email",
            "stage": "intent",
            "content": {
                "subject": "{{ traits.first_name | default('bạn') }} ơi, giỏ hàng đang chờ",
                "html": "<p>Chào {{ traits.first_name }},</p>{% for r in recommendations %}"
                '<p><a href="https://shop.example.vn/p/{{ r.item_id }}">{{ r.name }}</a></p>'
                '{% endfor %}<p><a href="{{ message.unsubscribe_url }}">Hủy</a></p>',
            },
            "next": "wait_open",
        },
        "wait_open": {
            "type": "wait",
            "event": {"event": "Email Opened"},
            "timeout": "1d",
            "next": "done",
            "timeout_next": "reminder",
        },
        "reminder": {
            "type": "message",
            "channel": "email",
            "content": {
                "subject": "Nhắc lại",
                "html": "<p>Giỏ hàng của {{ traits.first_name }}</p>",
            },
            "next": "voucher",
        },
        "voucher": {
            "type": "message",
            "channel": "sms",
            "stage": "intent",
            "content": {"text": "{{ traits.first_name }} ơi, nhập mã GIAM10 để giảm 10% giỏ hàng"},
            "next": "done",
        },
        "done": {"type": "exit"},
    },
}


def _wait(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_cart_abandonment_end_to_end(
    workspace: Workspace,
    smtp: tuple[Inbox, int],
    recorder: Recorder,  # noqa: F811 (the fixture)
) -> None:
    inbox, port = smtp
    settings = load_settings(
        workspace=workspace.path, clock_control=True, journey_tick_ms=50, outbound_allow=LOOPBACK
    )
    with TestClient(create_app(settings)) as c:
        admin, wk = bearer(workspace.secret_key), basic(workspace.write_key)
        r = c.put(
            "/v1/channels/email",
            headers=admin,
            json={
                "config": {
                    "host": "127.0.0.1",
                    "port": port,
                    "from_address": "shop@example.vn",
                    "from_name": "Cửa hàng",
                }
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["config"]["port"] == port
        template = '{"to": {{ to | tojson }}, "text": {{ text | tojson }}}'
        sms = {"provider": {"url": recorder.url, "body_template": template}, "sender": "SHOP"}
        r = c.put("/v1/channels/sms", headers=admin, json={"config": sms})
        assert r.status_code == 200, r.text
        # The test runs at any hour: from 20:00 Vietnam time the moved clock would land in the
        # default quiet hours and the reminder wait for morning.
        quiet_hours_off(c, workspace.secret_key)
        r = c.post("/v1/journeys", headers=admin, json={"definition": CART})
        assert r.status_code == 201, r.text
        jid = r.json()["journey_id"]
        assert c.post(f"/v1/journeys/{jid}/publish", headers=admin).status_code == 200

        def now() -> str:
            return str(c.get("/v1/clock", headers=admin).json()["now"])

        for who, name in (("lan", "Lan"), ("minh", "Minh")):
            body = {
                "userId": who,
                "traits": {
                    "email": f"{who}@example.vn",
                    "first_name": name,
                    "phone": "0912 345 678" if who == "lan" else "0987 654 321",
                },
                "timestamp": now(),
            }
            assert c.post("/v1/identify", headers=wk, json=body).status_code == 200
            body = {
                "userId": who,
                "event": "Product Added",
                "properties": {"sku": "tea-1"},
                "timestamp": now(),
            }
            assert c.post("/v1/track", headers=wk, json=body).status_code == 200

        def runs() -> dict[str, Any]:
            stats: dict[str, Any] = c.get(f"/v1/journeys/{jid}/stats", headers=admin).json()
            return stats

        _wait(lambda: runs()["entered"] == 2)
        # Minh buys within the hour: he leaves at once (exit event), Lan waits.
        body = {
            "userId": "minh",
            "event": "Order Completed",
            "timestamp": now(),
            "properties": {"order_id": "o1", "revenue": 100000},
        }
        assert c.post("/v1/track", headers=wk, json=body).status_code == 200
        _wait(lambda: runs()["exits"].get("exit_event:Order Completed") == 1)
        assert inbox.messages == []

        c.post("/v1/clock", headers=admin, json={"seconds": 3600 + 5})
        _wait(lambda: len(inbox.messages) == 1)
        mail = inbox.messages[0]
        assert mail["To"] == "lan@example.vn"
        assert "Lan ơi" in str(mail["Subject"])
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
        assert "Chào Lan" in html and "/v1/t/open/" in html
        unsubscribe = mail["List-Unsubscribe"].strip("<>")

        # One-click unsubscribe (RFC 8058) through the URL in the header.
        path = urlsplit(unsubscribe).path
        r = c.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200, r.text
        profile = c.get("/v1/profiles/lookup?email=lan@example.vn", headers=admin).json()
        consent = c.get(f"/v1/profiles/{profile['profile_id']}/consent", headers=admin).json()
        assert consent["purposes"]["email"]["granted"] is False

        # A day without opening: the reminder is due but suppressed (unsubscribed); the SMS
        # with the voucher still goes, to her number in E.164.
        c.post("/v1/clock", headers=admin, json={"seconds": 86400 + 5})
        _wait(lambda: runs()["messages"].get("email", {}).get("suppressed") == 1)
        _wait(lambda: len(recorder.seen) == 1)
        assert len(inbox.messages) == 1
        sent = recorder.seen[0].json()
        assert sent["to"] == "+84912345678"
        assert sent["text"].startswith("Lan ơi, nhập mã GIAM10")
        log = c.get("/v1/messages", headers=admin, params={"profile_id": profile["profile_id"]})
        reasons = {m["status"]: m["reason"] for m in log.json()}
        assert reasons["suppressed"].startswith("suppressed: unsubscribed")
        stats = runs()
        assert stats["exits"] == {"exit_event:Order Completed": 1, "completed": 1}
        assert stats["nodes"]["email"]["outcomes"] == {"queued": 1}
        _wait(lambda: runs()["messages"].get("sms", {}).get("sent") == 1)
        # The profile timeline shows the messages beside the events, with why one was not sent.
        pid = profile["profile_id"]
        page = c.get(f"/v1/profiles/{pid}/events?messages=true", headers=admin).json()
        assert {e["event"] for e in page["events"]} >= {"Product Added", "Consent Updated"}
        shown = {(m["channel"], m["status"]) for m in page["messages"]}
        assert shown == {("email", "sent"), ("email", "suppressed"), ("sms", "sent")}
        assert c.get(f"/v1/profiles/{pid}/events", headers=admin).json()["messages"] is None
