"""Delivery receipts and dead letters through the HTTP API, on a real workspace: status moves,
events, suppressions, unknown ids by index, and hostile input (tokens, sizes, garbage)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers import bearer
from unicx.api import create_app
from unicx.api import deadletters as deadletters_api
from unicx.api import receipts as receipts_api
from unicx.config import Settings, load_settings
from unicx.store import Store
from unicx.workspace import init_workspace

TOKEN = "rcpt_" + "x" * 30
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _app(settings: Settings) -> FastAPI:
    # Journeys off: no dispatcher picks up the rows these tests write by hand.
    app = create_app(settings.model_copy(update={"journeys_enabled": False}))
    paths = {getattr(r, "path", "") for r in app.routes}
    for module in (receipts_api, deadletters_api):  # until app.py registers them
        if not any(getattr(r, "path", "") in paths for r in module.router.routes):
            app.include_router(module.router)
    return app


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    # One workspace and app for the module (start-up is most of a test's time); ``api``
    # empties the channel tables before each test.
    settings = load_settings(workspace=tmp_path_factory.mktemp("rcpt") / "ws")
    keys = init_workspace(settings)
    with TestClient(_app(settings)) as c:
        c.headers.update(bearer(keys.secret_key))
        yield c, keys.secret_key, keys.write_key


@pytest.fixture
def api(shared: tuple[TestClient, str, str]) -> TestClient:
    c = shared[0]
    with store_of(c).session() as s, s.transaction():
        for table in ("messages", "message_events", "suppressions"):
            s.execute(f"DELETE FROM {table}", step="test.reset")
    for channel in ("sms", "push"):
        res = c.put(f"/v1/channels/{channel}", json={"config": {"receipt_token": TOKEN}})
        assert res.status_code == 200, res.text
    return c


def store_of(api: TestClient) -> Store:
    app: Any = api.app
    store: Store = app.state.ctx.store
    return store


def add_message(api: TestClient, mid: str, *, channel: str = "sms", status: str = "sent",
                provider_id: str | None = None, address: str = "+84912345678",
                attempts: int = 1, last_error: str | None = None,
                updated_at: datetime = T0) -> None:  # fmt: skip
    with store_of(api).session() as s, s.transaction():
        s.execute(
            "INSERT INTO messages (message_id, profile_id, channel, category, spec, address, "
            "status, attempts, created_at, due_at, updated_at, provider_id, last_error) "
            "VALUES (?, 'p1', ?, 'marketing', '{}', ?, ?, ?, ?, ?, ?, ?, ?)",
            [mid, channel, address, status, attempts, T0, T0, updated_at, provider_id,
             last_error],
            step="test.message",
        )  # fmt: skip


def state(api: TestClient, mid: str) -> tuple[str, list[str]]:
    with store_of(api).session() as s:
        row = s.fetchone("SELECT status FROM messages WHERE message_id = ?", [mid], step="t")
        events = s.fetchall(
            "SELECT status FROM message_events WHERE message_id = ? ORDER BY happened_at, status",
            [mid],
            step="t",
        )
    assert row is not None
    return str(row[0]), [str(e[0]) for e in events]


def suppressions(api: TestClient) -> list[tuple[Any, ...]]:
    with store_of(api).session() as s:
        return s.fetchall("SELECT channel, address, reason FROM suppressions ORDER BY address",
                          step="t")  # fmt: skip


def post(api: TestClient, body: Any, channel: str = "sms", token: str | None = TOKEN,
         **kw: Any) -> Any:  # fmt: skip
    params = {"token": token} if token is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.post(f"/v1/channels/{channel}/receipts", params=params, content=content, **kw)


# -- receipts ---------------------------------------------------------------------------------


def test_delivered_by_provider_id_and_message_id(api: TestClient) -> None:
    add_message(api, "m1", provider_id="prov-1")
    add_message(api, "m2", provider_id="prov-2")
    res = post(api, [{"provider_id": "prov-1", "status": "delivered", "at": "2025-03-01T09:01:00Z"},
                     {"message_id": "m2", "status": "read"},
                     {"provider_id": "nope", "status": "delivered"},
                     {"message_id": "m1", "status": "delivered"}])  # fmt: skip
    assert res.status_code == 200, res.text
    assert res.json() == {"received": 4, "applied": 2, "duplicates": 1, "suppressed": 0,
                          "unknown": [2]}  # fmt: skip
    assert state(api, "m1") == ("delivered", ["delivered"])
    assert state(api, "m2") == ("delivered", ["read"])
    # A provider retrying its callback changes nothing.
    again = post(api, {"provider_id": "prov-1", "status": "delivered"})
    assert again.json()["duplicates"] == 1 and state(api, "m1") == ("delivered", ["delivered"])


def test_numeric_provider_id_and_header_token(api: TestClient) -> None:
    add_message(api, "m1", provider_id="12345")
    res = post(api, {"provider_id": 12345, "status": "delivered"}, token=None,
               headers={"X-Unicx-Receipt-Token": TOKEN})  # fmt: skip
    assert res.status_code == 200, res.text
    assert state(api, "m1")[0] == "delivered"


def test_never_backwards_from_delivered(api: TestClient) -> None:
    add_message(api, "m1", provider_id="p-1")
    post(api, {"provider_id": "p-1", "status": "delivered"})
    post(api, {"provider_id": "p-1", "status": "failed", "error": "late"})
    status, events = state(api, "m1")
    assert status == "delivered" and sorted(events) == ["delivered", "failed"]


def test_failures_and_hard_bounces(api: TestClient) -> None:
    add_message(api, "soft", provider_id="a", address="+84911111111")
    add_message(api, "hard", provider_id="b", address="+84922222222")
    add_message(api, "bounce", provider_id="c", address="+84933333333")
    res = post(api, [
        {"provider_id": "a", "status": "undelivered", "error": "handset off"},
        {"provider_id": "b", "status": "undelivered", "error": "number does not exist",
         "permanent": True},
        {"provider_id": "c", "status": "bounced"},
    ])  # fmt: skip
    assert res.status_code == 200 and res.json()["suppressed"] == 2
    assert state(api, "soft") == ("failed", ["failed"])
    assert state(api, "hard") == ("bounced", ["bounced"])
    assert state(api, "bounce") == ("bounced", ["bounced"])
    rows = suppressions(api)
    assert [(c, a) for c, a, _ in rows] == [("sms", "+84922222222"), ("sms", "+84933333333")]
    assert "number does not exist" in rows[0][2]


def test_receipts_are_per_channel(api: TestClient) -> None:
    add_message(api, "push1", channel="push", provider_id="same", address="tok")
    res = post(api, {"provider_id": "same", "status": "delivered"}, channel="sms")
    assert res.json()["unknown"] == [0]
    res = post(api, {"provider_id": "same", "status": "delivered"}, channel="push")
    assert res.json()["applied"] == 1 and state(api, "push1")[0] == "delivered"


def test_bad_tokens(api: TestClient) -> None:
    add_message(api, "m1", provider_id="p")
    body = {"provider_id": "p", "status": "delivered"}
    for token in (None, "", "wrong", TOKEN + "x", TOKEN[:-1]):
        res = post(api, body, token=token)
        assert res.status_code == 401, (token, res.text)
    # Receipts for a channel without a token configured are off; the email/webhook channels
    # take none at all; unknown channels are 404.
    api.put("/v1/channels/push", json={"config": {"receipt_token": ""}})
    assert post(api, body, channel="push").status_code == 401
    assert post(api, body, channel="webhook").status_code == 404
    assert post(api, body, channel="nosuch").status_code == 404
    assert post(api, body, channel="BAD!").status_code == 400
    assert state(api, "m1") == ("sent", [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "$"),
        (b"", "$"),
        (b'"delivered"', "$"),
        (b"[1, 2]", "[0]"),
        (json.dumps([{"status": "delivered"}]).encode(), "[0]"),
        (json.dumps([{"provider_id": "p", "status": "opened"}]).encode(), "[0].status"),
        (json.dumps({"provider_id": "p", "status": "delivered", "at": "yesterday"}).encode(),
         "[0].at"),
        (json.dumps({"provider_id": "p" * 201, "status": "delivered"}).encode(),
         "[0].provider_id"),
        (b"[" * 5000 + b"]" * 5000, "$"),
    ],
)  # fmt: skip
def test_garbage_is_400_naming_the_field(api: TestClient, body: bytes, field: str) -> None:
    add_message(api, "m1", provider_id="p")
    res = post(api, body)
    assert res.status_code == 400, res.text
    assert res.json()["issues"][0]["field"] == field
    assert state(api, "m1") == ("sent", [])


def test_limits(api: TestClient) -> None:
    add_message(api, "m1", provider_id="p")
    too_many = [{"provider_id": "p", "status": "delivered"}] * 1001
    res = post(api, too_many)
    assert res.status_code == 413 and res.json()["issues"][0]["field"] == "$"
    huge = json.dumps([{"provider_id": "p", "status": "delivered", "pad": "x" * 1_100_000}])
    assert post(api, huge.encode()).status_code == 413
    assert state(api, "m1") == ("sent", [])
    just = [{"provider_id": f"id{i}", "status": "delivered"} for i in range(1000)]
    res = post(api, just)
    assert res.status_code == 200 and len(res.json()["unknown"]) == 1000


def test_future_receipt_time_is_clamped(api: TestClient) -> None:
    add_message(api, "m1", provider_id="p")
    future = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    post(api, {"provider_id": "p", "status": "delivered", "at": future})
    with store_of(api).session() as s:
        row = s.fetchone("SELECT happened_at FROM message_events WHERE message_id = 'm1'",
                         step="t")  # fmt: skip
    assert row is not None and row[0] <= datetime.now(UTC) + timedelta(seconds=5)


# -- dead letters -----------------------------------------------------------------------------


def test_dead_list_and_replay(api: TestClient) -> None:
    add_message(api, "d1", channel="webhook", status="dead", address="https://x.vn/h",
                attempts=8, last_error="receiver answered HTTP 503", updated_at=T0)  # fmt: skip
    add_message(api, "d2", channel="sms", status="dead", attempts=5, last_error="timed out",
                updated_at=T0 + timedelta(hours=1))  # fmt: skip
    add_message(api, "f1", channel="sms", status="failed", last_error="HTTP 400")
    add_message(api, "ok", channel="sms", status="sent")
    res = api.get("/v1/messages/dead")
    assert res.status_code == 200
    assert [m["message_id"] for m in res.json()] == ["d2", "d1"]
    res = api.get("/v1/messages/dead", params={"channel": "webhook"})
    (row,) = res.json()
    assert row["address"] == "https://x.vn/h" and row["attempts"] == 8
    assert row["last_error"] == "receiver answered HTTP 503" and row["updated_at"]
    assert len(api.get("/v1/messages/dead", params={"limit": 1}).json()) == 1

    res = api.post("/v1/messages/d1/replay")
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "queued" and res.json()["previous_status"] == "dead"
    with store_of(api).session() as s:
        got = s.fetch_dicts("SELECT status, attempts, reason, due_at FROM messages "
                            "WHERE message_id = 'd1'", step="t")[0]  # fmt: skip
    assert (got["status"], got["attempts"], got["reason"]) == ("queued", 0, None)
    assert got["due_at"] > T0
    assert state(api, "d1")[1] == ["replayed"]
    assert api.post("/v1/messages/f1/replay").status_code == 200
    assert [m["message_id"] for m in api.get("/v1/messages/dead").json()] == ["d2"]

    assert api.post("/v1/messages/d1/replay").status_code == 409  # queued now
    assert api.post("/v1/messages/ok/replay").status_code == 409
    assert api.post("/v1/messages/nope/replay").status_code == 404
    assert state(api, "ok") == ("sent", [])


def test_dead_letters_need_keys(api: TestClient, shared: tuple[TestClient, str, str]) -> None:
    assert api.get("/v1/messages/dead", params={"limit": 0}).status_code == 400
    assert api.get("/v1/messages/dead", params={"channel": "x;drop"}).status_code == 400
    anon = TestClient(api.app)
    assert anon.get("/v1/messages/dead").status_code == 401
    assert anon.post("/v1/messages/x/replay").status_code == 401
    res = anon.post("/v1/messages/x/replay", headers=bearer(shared[2]))
    assert res.status_code == 401
