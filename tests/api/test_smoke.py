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


def test_page_category_and_channel_are_kept(client: TestClient, workspace: Workspace) -> None:
    body = {
        "anonymousId": "a1",
        "name": "Áo thun",
        "category": "Thời trang",
        "channel": "browser",
        "messageId": "p-1",
    }
    assert client.post("/v1/page", json=body, headers=basic(workspace.write_key)).status_code == 200
    (event,) = client.get("/v1/events", headers=bearer(workspace.secret_key)).json()
    assert (event["name"], event["category"], event["channel"]) == (
        "Áo thun",
        "Thời trang",
        "browser",
    )
    too_long = {**body, "messageId": "p-2", "category": "x" * 513}
    res = client.post("/v1/page", json=too_long, headers=basic(workspace.write_key))
    assert res.status_code == 400
    assert res.json()["issues"][0]["field"] == "category"


def test_a_write_key_is_revoked_only_through_its_own_source(
    client: TestClient, workspace: Workspace
) -> None:
    admin = bearer(workspace.secret_key)
    other = client.post("/v1/sources", json={"name": "app"}, headers=admin).json()
    own_key = client.get(f"/v1/sources/{workspace.keys.source_id}", headers=admin).json()
    key_id = own_key["write_keys"][0]["key_id"]
    wrong = client.delete(f"/v1/sources/{other['source_id']}/write-keys/{key_id}", headers=admin)
    assert wrong.status_code == 404
    ok = client.post(
        "/v1/track", json={"userId": "u", "event": "E"}, headers=basic(workspace.write_key)
    )
    assert ok.status_code == 200  # still active
