"""Traits over HTTP and the `unicx traits` CLI (locally and through a running server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer
from tests.identity.conftest import lookup, send
from tests.profiles.test_traits_builtin import IDENTITIES, _an, _binh, _chi, _dung
from tests.profiles.traits_data import computed, load
from unicx.cli.main import app
from unicx.store import Store
from unicx.workspace import open_store

runner = CliRunner()
GOOD = {"name": "n_pages", "sql": "count(*) FILTER (WHERE type = 'page')"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    return store


def test_definitions_validate_save_delete(client: TestClient, workspace: Workspace) -> None:
    auth = bearer(workspace.secret_key)
    listed = client.get("/v1/traits", headers=auth).json()
    assert {"revenue", "rfm_segment", "time_of_day"} <= {t["name"] for t in listed}
    bad = client.post(
        "/v1/traits/validate", json={"name": "x", "sql": "read_csv('/etc/passwd')"}, headers=auth
    )
    assert bad.status_code == 400
    assert bad.json()["issues"][0]["rule"] == "forbidden_function"
    ok = client.post("/v1/traits/validate", json=GOOD, headers=auth)
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert client.post("/v1/traits", json=GOOD, headers=auth).status_code == 201
    assert client.post("/v1/traits", json=GOOD, headers=auth).status_code == 409
    again = client.post("/v1/traits", json=GOOD, params={"replace": True}, headers=auth)
    assert again.status_code == 201
    assert (workspace.path / "traits.toml").is_file()
    assert client.delete("/v1/traits/n_pages", headers=auth).status_code == 200
    assert client.delete("/v1/traits/n_pages", headers=auth).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "sql": "count(*)" + " " * 40_000},
        {"name": "x" * 500, "sql": "count(*)"},
        {"name": "x", "sql": "count(*)", "shell": "rm -rf /"},
        {"name": "x"},
        {"name": "x", "sql": "sum(event)"},
        {"name": "x", "sql": "\x00"},
        ["not", "an", "object"],
    ],
)
def test_hostile_bodies_get_4xx(client: TestClient, workspace: Workspace, body: object) -> None:
    res = client.post("/v1/traits", json=body, headers=bearer(workspace.secret_key))
    assert 400 <= res.status_code < 500, res.text


def test_needs_a_secret_key(client: TestClient, workspace: Workspace) -> None:
    assert client.post("/v1/traits/refresh").status_code == 401
    res = client.post("/v1/traits/refresh", headers=basic(workspace.write_key))
    assert res.status_code == 401


def test_refresh_endpoint(client: TestClient, workspace: Workspace) -> None:
    load(_store(client), _an() + _binh() + _chi() + _dung(), IDENTITIES)
    res = client.post("/v1/traits/refresh", headers=bearer(workspace.secret_key))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["profiles"] == 4 and body["computed_rows"] == 64 and body["trait_rows"] == 4
    assert computed(_store(client), "p-an")["orders_count"] == 2


def test_cli_locally(workspace: Workspace, tmp_path: Path) -> None:
    ws = str(workspace.path)
    store = open_store(workspace.settings)
    load(store, _an() + _binh() + _chi() + _dung(), IDENTITIES)
    store.close()
    added = runner.invoke(app, ["traits", "add", "n_pages", "--sql", GOOD["sql"], "-w", ws])
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, ["traits", "add", "evil", "--sql", "1; DROP TABLE events",
                                  "-w", ws])  # fmt: skip
    assert refused.exit_code == 1 and "one expression only" in refused.output
    result = runner.invoke(app, ["traits", "refresh", "--json", "-w", ws])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["custom_rows"] == 4  # one n_pages row per profile
    listed = json.loads(runner.invoke(app, ["traits", "list", "--json", "-w", ws]).stdout)
    assert listed[-1]["name"] == "n_pages"
    file = tmp_path / "traits.toml"
    file.write_text('[[trait]]\nname = "ok"\nsql = "count(*)"\n\n'
                    '[[trait]]\nname = "bad"\nsql = "max(nope)"\n')  # fmt: skip
    checked = runner.invoke(app, ["traits", "validate", str(file), "--json", "-w", ws])
    assert checked.exit_code == 1
    assert [r["valid"] for r in json.loads(checked.stdout)] == [True, False]


@pytest.mark.slow
def test_cli_through_running_server(server: ServerProcess, workspace: Workspace) -> None:
    ws = str(workspace.path)
    added = runner.invoke(app, ["traits", "add", "n_pages", "--sql", GOOD["sql"], "-w", ws])
    assert added.exit_code == 0, added.output
    result = runner.invoke(app, ["traits", "refresh", "--json", "-w", ws])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["profiles"] == 0
    bad = runner.invoke(app, ["traits", "add", "x", "--sql", "max(getenv('A'))", "-w", ws])
    assert bad.exit_code == 1 and "getenv" in bad.output


def test_traits_follow_ingest(client: TestClient, workspace: Workspace) -> None:
    """Events sent through the API show up as traits once the profile updater has run."""
    order = {"order_id": "W1", "revenue": 120000, "currency": "VND",
             "products": [{"category": "tea", "price": 60000, "quantity": 2}]}  # fmt: skip
    batch = [
        {"type": "identify", "userId": "u-e2e", "anonymousId": "a-e2e",
         "traits": {"email": "e2e@x.vn", "plan": "gold"}},
        {"type": "page", "anonymousId": "a-e2e", "name": "Home",
         "context": {"library": {"name": "analytics.js", "version": "2"}}},
        {"type": "track", "userId": "u-e2e", "event": "Order Completed", "properties": order},
    ]  # fmt: skip
    send(client, workspace.write_key, batch)
    profile = lookup(client, workspace.secret_key, email="e2e@x.vn")
    assert profile["traits"]["plan"] == "gold"
    got = profile["computed_traits"]
    assert (got["orders_count"], got["revenue"], got["page_views"]) == (1, 120000.0, 1)
    assert got["favourite_category"] == "tea" and got["rfm_segment"] == "New Customers"
