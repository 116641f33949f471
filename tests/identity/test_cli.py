"""`unicx identity` and `unicx profiles` work with and without a server holding the workspace."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic
from unicx.api import create_app
from unicx.cli.main import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _send(url: str, write_key: str) -> None:
    batch = [
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"email": "e@x.vn"}},
        {"type": "identify", "anonymousId": "a2", "traits": {"email": "e@x.vn"}},
    ]
    res = httpx.post(f"{url}/v1/batch", json={"batch": batch}, headers=basic(write_key))
    assert res.status_code == 200


@pytest.mark.slow
def test_cli_goes_through_the_running_server(server: ServerProcess, workspace: Workspace) -> None:
    _send(server.url, workspace.write_key)
    ws = str(workspace.path)
    deadline = time.monotonic() + 15
    while True:
        result = runner.invoke(app, ["profiles", "lookup", "email", "E@x.vn", "-w", ws])
        if result.exit_code == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert result.exit_code == 0, result.output
    profile = json.loads(result.output)
    assert {i["id_value"] for i in profile["identifiers"]} >= {"u1", "a1", "a2", "e@x.vn"}
    summary = json.loads(_run("identity", "rebuild", "-w", ws, "--json"))
    assert summary["groups"] == 2
    assert json.loads(_run("identity", "conflicts", "-w", ws, "--json")) == []
    # A rebuild makes new profile ids; the person is found again by identifier.
    again = json.loads(_run("profiles", "lookup", "user_id", "u1", "-w", ws))
    out = _run("profiles", "events", again["profile_id"], "-w", ws)
    assert out.count("identify") == 2
    missing = runner.invoke(app, ["identity", "unmerge", "nope", "-w", ws])
    assert missing.exit_code == 1 and "no merge" in missing.output


def test_cli_local_when_no_server(workspace: Workspace) -> None:
    with TestClient(create_app(workspace.settings)) as client:
        res = client.post(
            "/v1/identify",
            json={"anonymousId": "z1", "traits": {"phone": "0987654321"}},
            headers=basic(workspace.write_key),
        )
        assert res.status_code == 200
    ws = str(workspace.path)
    # The server is gone; the CLI resolves what it had not reached and reads the file itself.
    _run("identity", "resolve", "-w", ws)
    profile = json.loads(_run("profiles", "lookup", "phone", "+84987654321", "-w", ws))
    shown = json.loads(_run("profiles", "show", profile["profile_id"], "-w", ws))
    assert shown["profile_id"] == profile["profile_id"]
    assert "identify" in _run("profiles", "events", profile["profile_id"], "-w", ws)
    # One identify of one new person merges nothing.
    assert json.loads(_run("identity", "merges", "-w", ws, "--json")) == []
    bad = runner.invoke(app, ["profiles", "lookup", "email", "not-an-email", "-w", ws])
    assert bad.exit_code == 1 and "not a usable email" in bad.output
