"""Deterministic identity resolution through the API: stitching, merge protection, unmerge."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity.conftest import lookup, send
from unicx.identity.service import IdentityService


def _ids(profile: dict[str, object]) -> set[tuple[str, str]]:
    return {(i["id_type"], i["id_value"]) for i in profile["identifiers"]}  # type: ignore[attr-defined, index]


def test_shared_kiosk_does_not_merge_two_customers(
    client: TestClient, workspace: Workspace
) -> None:
    send(
        client,
        workspace.write_key,
        [
            {
                "type": "identify",
                "userId": "ua",
                "anonymousId": "kiosk",
                "traits": {"email": "a@x.vn"},
            },
            {
                "type": "identify",
                "userId": "ub",
                "anonymousId": "kiosk",
                "traits": {"email": "b@x.vn"},
            },
            {"type": "track", "userId": "ub", "anonymousId": "kiosk", "event": "Order Completed"},
        ],
    )
    a = lookup(client, workspace.secret_key, user_id="ua")
    b = lookup(client, workspace.secret_key, user_id="ub")
    assert a["profile_id"] != b["profile_id"]
    # b's e-mail follows b (the group's most trusted identifier), not the kiosk's first user.
    assert ("email", "b@x.vn") in _ids(b)
    assert ("email", "b@x.vn") not in _ids(a)
    res = client.get("/v1/identity/conflicts", headers=bearer(workspace.secret_key))
    assert res.status_code == 200
    rules = {(c["id_type"], c["rule"]) for c in res.json()}
    assert ("user_id", "limit:user_id") in rules or ("anonymous_id", "limit:user_id") in rules
    # b's order is on b's timeline, not a's.
    events_b = client.get(
        f"/v1/profiles/{b['profile_id']}/events", headers=bearer(workspace.secret_key)
    ).json()["events"]
    assert any(e["event"] == "Order Completed" for e in events_b)


def test_placeholders_and_phone_formats(client: TestClient, workspace: Workspace) -> None:
    send(
        client,
        workspace.write_key,
        [
            {
                "type": "identify",
                "anonymousId": f"v{i}",
                "userId": "null",
                "traits": {"email": "test@test.com", "phone": "0000000000"},
            }
            for i in range(5)
        ]
        + [
            {"type": "identify", "anonymousId": "p1", "traits": {"phone": "0912 345 678"}},
            {"type": "identify", "anonymousId": "p2", "traits": {"phone": "+84912345678"}},
        ],
    )
    profiles = {
        lookup(client, workspace.secret_key, anonymous_id=f"v{i}")["profile_id"] for i in range(5)
    }
    assert len(profiles) == 5  # placeholders linked nobody
    p1 = lookup(client, workspace.secret_key, anonymous_id="p1")
    assert p1 == lookup(client, workspace.secret_key, anonymous_id="p2")
    assert (
        lookup(client, workspace.secret_key, phone="0912345678")["profile_id"] == p1["profile_id"]
    )


def test_unmerge_restores_and_blocks_the_pair(client: TestClient, workspace: Workspace) -> None:
    send(
        client,
        workspace.write_key,
        [
            {"type": "identify", "anonymousId": "s1", "traits": {"email": "lan@x.vn"}},
            {"type": "identify", "anonymousId": "s2", "traits": {"email": "minh@x.vn"}},
        ],
    )
    lan = lookup(client, workspace.secret_key, email="lan@x.vn")["profile_id"]
    minh = lookup(client, workspace.secret_key, email="minh@x.vn")["profile_id"]
    assert lan != minh
    # A wrong link (say a shared family tablet): s2's session identifies with lan's e-mail.
    send(
        client,
        workspace.write_key,
        [{"type": "identify", "anonymousId": "s2", "traits": {"email": "lan@x.vn"}}],
    )
    merged = lookup(client, workspace.secret_key, email="minh@x.vn")["profile_id"]
    assert merged == lookup(client, workspace.secret_key, email="lan@x.vn")["profile_id"]
    merges = client.get("/v1/identity/merges", headers=bearer(workspace.secret_key)).json()
    assert len(merges) == 1 and merges[0]["winner_id"] == merged
    undo = client.post(
        f"/v1/identity/merges/{merges[0]['merge_id']}/undo", headers=bearer(workspace.secret_key)
    )
    assert undo.status_code == 200, undo.text
    assert undo.json()["undone_at"] is not None
    a = lookup(client, workspace.secret_key, email="lan@x.vn")["profile_id"]
    b = lookup(client, workspace.secret_key, email="minh@x.vn")["profile_id"]
    assert a != b
    again = client.post(
        f"/v1/identity/merges/{merges[0]['merge_id']}/undo", headers=bearer(workspace.secret_key)
    )
    assert again.status_code == 409
    # The same evidence, replayed by a full rebuild, no longer merges them.
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    IdentityService(ctx.store, ctx.settings).rebuild()
    a = lookup(client, workspace.secret_key, email="lan@x.vn")["profile_id"]
    b = lookup(client, workspace.secret_key, email="minh@x.vn")["profile_id"]
    assert a != b


def test_manual_merge_respects_limits(client: TestClient, workspace: Workspace) -> None:
    send(
        client,
        workspace.write_key,
        [
            {"type": "identify", "userId": "u1", "anonymousId": "x1"},
            {"type": "identify", "userId": "u2", "anonymousId": "x2"},
            {"type": "identify", "anonymousId": "x3", "traits": {"email": "c@x.vn"}},
        ],
    )
    h = bearer(workspace.secret_key)
    p1 = lookup(client, workspace.secret_key, user_id="u1")["profile_id"]
    p2 = lookup(client, workspace.secret_key, user_id="u2")["profile_id"]
    p3 = lookup(client, workspace.secret_key, email="c@x.vn")["profile_id"]
    refused = client.post("/v1/identity/merges", json={"winner_id": p1, "loser_id": p2}, headers=h)
    assert refused.status_code == 409 and "limit:user_id" in refused.text
    ok = client.post("/v1/identity/merges", json={"winner_id": p1, "loser_id": p3}, headers=h)
    assert ok.status_code == 200, ok.text
    assert lookup(client, workspace.secret_key, email="c@x.vn")["profile_id"] == p1
    missing = client.post(
        "/v1/identity/merges", json={"winner_id": p1, "loser_id": "nope"}, headers=h
    )
    assert missing.status_code == 404


def test_lookup_bad_input(client: TestClient, workspace: Workspace) -> None:
    h = bearer(workspace.secret_key)
    assert client.get("/v1/profiles/lookup", headers=h).status_code == 400
    two = client.get("/v1/profiles/lookup", params={"email": "a@b.vn", "user_id": "x"}, headers=h)
    assert two.status_code == 400
    assert (
        client.get("/v1/profiles/lookup", params={"user_id": "ghost"}, headers=h).status_code == 404
    )
    assert (
        client.get("/v1/profiles/lookup", params={"email": "not an email"}, headers=h).status_code
        == 400
    )
    assert (
        client.get("/v1/profiles/lookup", params={"user_id": "x" * 5000}, headers=h).status_code
        == 400
    )
    assert (
        client.get(
            "/v1/profiles/lookup", params={"type": "user_id", "value": "x"}, headers=h
        ).status_code
        == 400
    )
    assert (
        client.get(
            "/v1/profiles/lookup", params={"type": "'; drop", "value": "x"}, headers=h
        ).status_code
        == 400
    )
    assert client.get("/v1/profiles/nope", headers=h).status_code == 404
    assert (
        client.get("/v1/profiles/nope/events", params={"before": "garbage"}, headers=h).status_code
        == 404
    )
    assert client.get("/v1/profiles/lookup", params={"user_id": "x"}).status_code == 401
    assert client.post("/v1/identity/merges/none/undo", headers=h).status_code == 404
