"""Event retention: pruning by command, by API (admin only) and by the server's schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from unicx.api import create_app
from unicx.cli.main import app as cli
from unicx.config import load_settings


def _send(client: TestClient, workspace: Workspace, ages_days: list[int]) -> None:
    now = datetime.now(UTC)
    batch = [
        {
            "type": "track",
            "userId": "u",
            "event": "Order Completed",
            "messageId": f"age-{age}",
            "timestamp": (now - timedelta(days=age)).isoformat(),
        }
        for age in ages_days
    ]
    res = client.post("/v1/batch", json={"batch": batch}, headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text


def _ids(client: TestClient, workspace: Workspace) -> set[str]:
    events = client.get("/v1/events", headers=bearer(workspace.secret_key)).json()
    return {e["messageId"] for e in events}


def test_admin_prunes_by_api_and_others_cannot(client: TestClient, workspace: Workspace) -> None:
    _send(client, workspace, [400, 100, 3])
    admin = bearer(workspace.secret_key)
    analyst = client.post("/v1/keys", json={"name": "bi", "role": "analyst"}, headers=admin)
    refused = client.post(
        "/v1/events/prune",
        json={"older_than_days": 30},
        headers=bearer(analyst.json()["secret_key"]),
    )
    assert refused.status_code == 403
    assert (
        client.post("/v1/events/prune", json={"older_than_days": 0}, headers=admin).status_code
        == 400
    )
    res = client.post("/v1/events/prune", json={"older_than_days": 365}, headers=admin)
    assert res.json() == {"deleted": 1}
    assert _ids(client, workspace) == {"age-100", "age-3"}
    res = client.post("/v1/events/prune", json={"older_than_days": 30}, headers=admin)
    assert res.json() == {"deleted": 1}
    assert _ids(client, workspace) == {"age-3"}


def test_cli_prunes_locally_and_needs_a_period(workspace: Workspace) -> None:
    with TestClient(create_app(workspace.settings)) as client:
        _send(client, workspace, [400, 3])
    # The app has stopped: the CLI opens the workspace file itself.
    runner = CliRunner()
    ws = str(workspace.path)
    missing = runner.invoke(cli, ["events", "prune", "-w", ws])
    assert missing.exit_code == 1 and "older-than-days" in missing.output
    done = runner.invoke(cli, ["events", "prune", "--older-than-days", "365", "-w", ws])
    assert done.exit_code == 0, done.output
    assert "deleted 1 events" in done.output


def test_server_prunes_at_start_when_a_retention_is_set(workspace: Workspace) -> None:
    with TestClient(create_app(workspace.settings)) as client:
        _send(client, workspace, [400, 40, 3])
    settings = load_settings(workspace=workspace.path, events_retention_days=30)
    with TestClient(create_app(settings)) as restarted:
        assert _ids(restarted, workspace) == {"age-3"}
