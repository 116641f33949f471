"""The message log's filters and paging for the messaging page: service (message_page) and
GET /v1/messages with ?reason= and ?offset=."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from unicx.channels.messages import message_page
from unicx.store import Store

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
# (message_id, channel, status, reason, minutes after T0)
ROWS = [
    ("m1", "email", "sent", None, 1),
    ("m2", "email", "suppressed", "consent", 2),
    ("m3", "sms", "suppressed", "quiet_hours", 3),
    ("m4", "sms", "failed", "invalid_number", 4),
    ("m5", "email", "suppressed", "consent", 5),
]


@pytest.fixture
def store(client: TestClient) -> Store:
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    with store.session() as s:
        for mid, channel, status, reason, minutes in ROWS:
            at = T0 + timedelta(minutes=minutes)
            s.execute(
                "INSERT INTO messages (message_id, profile_id, channel, category, spec, status, "
                "reason, created_at, due_at, updated_at) VALUES (?, ?, ?, 'marketing', '{}', ?, "
                "?, ?, ?, ?)",
                [mid, "p-" + channel, channel, status, reason, at, at, at],
                step="test.messages",
            )
    return store


def test_filters_and_pages_newest_first(store: Store) -> None:
    page = message_page(store, status="suppressed", reason="consent", limit=1)
    assert [m.message_id for m in page.messages] == ["m5"] and page.has_more
    rest = message_page(store, status="suppressed", reason="consent", limit=1, offset=1)
    assert [m.message_id for m in rest.messages] == ["m2"] and not rest.has_more
    sms = message_page(store, channel="sms")
    assert [m.message_id for m in sms.messages] == ["m4", "m3"]
    assert [m.message_id for m in message_page(store, profile_id="p-email").messages] == [
        "m5", "m2", "m1"
    ]  # fmt: skip
    assert message_page(store, reason="nothing like it").messages == []


def test_api_reason_and_offset(client: TestClient, workspace: Workspace, store: Store) -> None:
    auth = bearer(workspace.secret_key)
    res = client.get("/v1/messages", params={"reason": "consent", "offset": 1}, headers=auth)
    assert res.status_code == 200, res.text
    assert [m["message_id"] for m in res.json()] == ["m2"]
    for bad in ({"offset": -1}, {"offset": 10**7}, {"reason": "x" * 201}, {"limit": 0}):
        assert client.get("/v1/messages", params=bad, headers=auth).status_code in (400, 422)
