"""Segments over HTTP: CRUD, validation with paths, preview, members, changes, export, roles,
and membership following ingest end to end."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from tests.segments.fixture import build
from unicx.api.app import create_app
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.store import Store

HAS_EMAIL = {"has": "email"}
PRO = {"trait": "plan", "op": "eq", "value": "pro"}


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with TestClient(create_app(workspace.settings)) as client:
        store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
        build(store, workspace.settings)
        yield client, bearer(workspace.secret_key)


def _create(client: TestClient, auth: dict[str, str], name: str, definition: Any) -> Any:
    res = client.post("/v1/segments", json={"name": name, "definition": definition}, headers=auth)
    assert res.status_code == 201, res.text
    return res.json()


def test_crud_members_changes_sizes(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    seg = _create(client, auth, "Reachable", HAS_EMAIL)
    assert seg["size"] == 3 and seg["version"] == 1
    assert [s["name"] for s in client.get("/v1/segments", headers=auth).json()] == ["Reachable"]
    assert (
        client.get("/v1/segments/reachable", headers=auth).json()["segment_id"] == seg["segment_id"]
    )

    page1 = client.get(
        f"/v1/segments/{seg['segment_id']}/members?limit=2&traits=plan,orders_count", headers=auth
    ).json()
    assert [m["profile_id"] for m in page1["members"]] == ["pa", "pb"]
    assert page1["members"][0]["traits"] == {"plan": "pro", "orders_count": 3}
    page2 = client.get(
        f"/v1/segments/{seg['segment_id']}/members?limit=2&cursor={page1['next_cursor']}",
        headers=auth,
    ).json()
    assert [m["profile_id"] for m in page2["members"]] == ["pc"] and page2["next_cursor"] is None

    changed = client.patch(
        f"/v1/segments/{seg['segment_id']}", json={"definition": PRO}, headers=auth
    ).json()
    assert changed["version"] == 2 and changed["size"] == 1
    changes = client.get(f"/v1/segments/{seg['segment_id']}/changes", headers=auth).json()
    assert [(c["event"], c["profile_id"], c["version"]) for c in changes] == [
        ("Segment Entered", "pa", 1),
        ("Segment Entered", "pb", 1),
        ("Segment Entered", "pc", 1),
        ("Segment Exited", "pb", 2),
        ("Segment Exited", "pc", 2),
    ]
    after = client.get(
        f"/v1/segments/{seg['segment_id']}/changes?after={changes[2]['change_id']}", headers=auth
    ).json()
    assert len(after) == 2
    sizes = client.get(f"/v1/segments/{seg['segment_id']}/sizes", headers=auth).json()
    assert [(s["size"], s["entered"], s["exited"]) for s in sizes] == [(1, 3, 2)]
    assert [s["name"] for s in client.get("/v1/profiles/pa/segments", headers=auth).json()] == [
        "Reachable"
    ]
    assert client.get("/v1/profiles/pb/segments", headers=auth).json() == []
    assert client.delete(f"/v1/segments/{seg['segment_id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/segments/{seg['segment_id']}", headers=auth).status_code == 404
    assert client.get("/v1/profiles/pa/segments", headers=auth).json() == []


def test_validate_and_preview_save_nothing(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    body = {"definition": {"all": [HAS_EMAIL, {"event": "Order Completed"}]}}
    checked = client.post("/v1/segments/validate", json=body, headers=auth).json()
    assert (
        checked["valid"] and "WITH has_email AS" in checked["sql"] and not checked["time_windows"]
    )
    preview = client.post("/v1/segments/preview?sample=2", json=body, headers=auth).json()
    assert preview["count"] == 3 and len(preview["sample"]) == 2
    assert {"profile_id", "revenue"} <= set(preview["sample"][0])
    assert client.get("/v1/segments", headers=auth).json() == []


def _refused(client: TestClient, auth: dict[str, str], body: Any, raw: bytes | None = None) -> Any:
    if raw is not None:
        res = client.post("/v1/segments", content=raw, headers=auth)
    else:
        res = client.post("/v1/segments", json=body, headers=auth)
    assert 400 <= res.status_code < 500, res.text
    assert client.get("/v1/segments", headers=auth).json() == []  # nothing saved
    return res.json()


BAD: dict[str, tuple[Any, str, str]] = {
    "empty all": ({"all": []}, "definition.all", "empty"),
    "unknown operator": (
        {"trait": "revenue", "op": "greater", "value": 1}, "definition.op", "unknown_operator"
    ),
    "unknown event, did you mean": (
        {"all": [HAS_EMAIL, {"event": "Order Complete"}]}, "definition.all[1].event",
        "unknown_event",
    ),
    "unknown property": (
        {"event": "Order Completed", "where": [{"property": "catgory", "value": "x"}]},
        "definition.where[0]", "unknown_property",
    ),
    "unknown trait": ({"trait": "revenu", "op": "gt", "value": 1}, "definition.trait",
                      "unknown_trait"),
    "type mismatch": ({"trait": "revenue", "op": "contains", "value": "x"}, "definition.op",
                      "type_mismatch"),
    "text for a number": ({"trait": "revenue", "op": "gt", "value": "lots"}, "definition.value",
                          "type_mismatch"),
    "window in the future": (
        {"event": "Order Completed", "within": {"from": "2999-01-01"}}, "definition.within.from",
        "future",
    ),
    "zero window": ({"event": "Order Completed", "within": "0d"}, "definition.within",
                    "too_short"),
    "backwards window": (
        {"event": "Order Completed", "within": {"from": "2024-02-01", "to": "2024-01-01"}},
        "definition.within.to", "order",
    ),
    "two kinds in one node": ({"all": [HAS_EMAIL], "any": [HAS_EMAIL]}, "definition", "kind"),
    "unknown key": ({"has": "email", "hsa": 1}, "definition.hsa", "unknown_key"),
    "unknown segment": ({"segment": "nope"}, "definition.segment", "unknown_segment"),
    "count and sum": (
        {"event": "Order Completed", "count": {"gte": 1}, "sum": {"property": "revenue", "gte": 1}},
        "definition", "count_and_sum",
    ),
    "negative count": ({"event": "Order Completed", "count": {"gte": -1}},
                       "definition.count.gte", "count"),
    "10,000 conditions": ({"any": [HAS_EMAIL] * 10_000}, "definition.any", "too_many_nodes"),
    "quotes and SQL in a property": (
        {"event": "Order Completed", "where": [{"property": "x'); DROP TABLE events;--"}]},
        "definition.where[0].property", "property",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_definitions_name_the_path(api: tuple[TestClient, dict[str, str]], case: str) -> None:
    client, auth = api
    definition, path, rule = BAD[case]
    body = _refused(client, auth, {"name": case, "definition": definition})
    assert body["issues"][0]["field"].startswith(path), body
    assert body["issues"][0]["rule"] == rule, body


def test_did_you_mean(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    body = _refused(
        client, auth, {"name": "x", "definition": BAD["unknown event, did you mean"][0]}
    )
    assert "did you mean 'Order Completed'" in body["issues"][0]["message"]


def test_hostile_bodies(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    deep = b'{"name": "x", "definition": ' + b'{"not": ' * 10_000 + b"{}" + b"}" * 10_001
    assert _refused(client, auth, None, deep)["issues"][0]["rule"] == "json"
    nested: dict[str, Any] = {"not": HAS_EMAIL}
    for _ in range(40):
        nested = {"not": nested}
    assert _refused(client, auth, {"name": "x", "definition": nested})["issues"][0]["rule"] == (
        "too_deep"
    )
    _refused(client, auth, None, b"not json")
    _refused(client, auth, None, b'{"name": "x"}')
    _refused(client, auth, None, b'{"name": "x", "definition": [1]}')
    big = {"name": "x", "definition": {"trait": "plan", "op": "eq", "value": "x" * 300_000}}
    assert client.post("/v1/segments", json=big, headers=auth).status_code == 413
    dup = {"name": "Same", "definition": HAS_EMAIL}
    assert client.post("/v1/segments", json=dup, headers=auth).status_code == 201
    assert client.post("/v1/segments", json=dup | {"name": "same"}, headers=auth).status_code == 409


def test_allow_unseen_events_as_warnings(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    definition = {"event": "Trial Started"}
    refused = client.post("/v1/segments/validate", json={"definition": definition}, headers=auth)
    assert refused.status_code == 400
    loose = client.post(
        "/v1/segments/validate?strict=false", json={"definition": definition}, headers=auth
    ).json()
    assert loose["warnings"][0]["rule"] == "unknown_event"


def test_reference_cycles_and_deletes(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    a = _create(client, auth, "A", HAS_EMAIL)
    b = _create(client, auth, "B", {"segment": "A"})
    cycle = client.patch(
        f"/v1/segments/{a['segment_id']}", json={"definition": {"segment": "B"}}, headers=auth
    )
    assert cycle.status_code == 400 and cycle.json()["issues"][0]["rule"] == "cycle"
    assert client.delete(f"/v1/segments/{a['segment_id']}", headers=auth).status_code == 409
    assert client.delete(f"/v1/segments/{b['segment_id']}", headers=auth).status_code == 204


def test_export_formats(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    seg = _create(client, auth, "Reachable", HAS_EMAIL)
    url = f"/v1/segments/{seg['segment_id']}/export"
    text = client.get(f"{url}?format=csv&traits=plan", headers=auth).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["profile_id"] for r in rows] == ["pa", "pb", "pc"] and rows[0]["plan"] == "pro"
    table = pq.read_table(io.BytesIO(client.get(f"{url}?format=parquet", headers=auth).content))
    assert table.column("profile_id").to_pylist() == ["pa", "pb", "pc"]
    hashed = client.get(f"{url}?format=hashed", headers=auth).content.decode("utf-8-sig")
    emails = {r["email_sha256"] for r in csv.DictReader(io.StringIO(hashed))}
    assert hashlib.sha256(b"alice@example.vn").hexdigest() in emails
    assert "alice" not in hashed
    assert client.get(f"{url}?format=xml", headers=auth).status_code == 400
    assert client.get("/v1/segments/nope/export", headers=auth).status_code == 404


def test_roles(api: tuple[TestClient, dict[str, str]], workspace: Workspace) -> None:
    client, _ = api
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    viewer = AccessService(store).create_api_key("v", Role.viewer).secret_key
    analyst = AccessService(store).create_api_key("a", Role.analyst).secret_key
    body = {"name": "x", "definition": HAS_EMAIL}
    assert client.post("/v1/segments", json=body, headers=bearer(analyst)).status_code == 403
    assert client.get("/v1/segments", headers=bearer(viewer)).status_code == 403
    assert client.get("/v1/segments", headers=bearer(analyst)).status_code == 200
    assert client.get("/v1/segments", headers=basic(workspace.write_key)).status_code == 401


def test_ingest_moves_people_into_segments(workspace: Workspace) -> None:
    with TestClient(create_app(workspace.settings)) as client:
        auth = bearer(workspace.secret_key)
        res = client.post(
            "/v1/segments?strict=false",
            json={"name": "Fresh sign-ups", "definition": {"event": "Signed Up", "within": "1d"}},
            headers=auth,
        )
        assert res.status_code == 201 and res.json()["size"] == 0
        sid = res.json()["segment_id"]
        for user in ("u-lan", "u-minh"):
            sent = client.post(
                "/v1/track",
                json={"userId": user, "event": "Signed Up", "messageId": f"m-{user}"},
                headers=basic(workspace.write_key),
            )
            assert sent.status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            changes = client.get(f"/v1/segments/{sid}/changes", headers=auth).json()
            if len(changes) == 2:
                break
            time.sleep(0.1)
        assert {c["event"] for c in changes} == {"Segment Entered"}
        assert {c["reason"] for c in changes} == {"ingest"}
        assert client.get(f"/v1/segments/{sid}", headers=auth).json()["size"] == 2
