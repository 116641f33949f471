from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import basic, bearer


def test_track_is_stored_and_listed(client: TestClient, workspace: Workspace) -> None:
    res = client.post(
        "/v1/track",
        json={"userId": "u1", "event": "Order Completed", "messageId": "m-1"},
        headers=basic(workspace.write_key),
    )
    assert res.status_code == 200, res.text
    events = client.get("/v1/events", headers=bearer(workspace.secret_key)).json()
    assert [(e["messageId"], e["event"]) for e in events] == [("m-1", "Order Completed")]
