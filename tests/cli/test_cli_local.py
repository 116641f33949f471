"""CLI commands on a workspace no server holds (they open the DuckDB file directly)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from unicx.cli.main import app

runner = CliRunner()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_json_prints_keys_once_and_refuses_twice(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    out = _json(["init", "--workspace", ws, "--json"])
    assert isinstance(out, dict)
    assert out["write_key"].startswith("wk_") and out["secret_key"].startswith("sk_")
    again = runner.invoke(app, ["init", "--workspace", ws])
    assert again.exit_code == 1
    assert "already initialized" in again.output
    listing = runner.invoke(app, ["keys", "list", "--workspace", ws, "--json"])
    assert out["secret_key"] not in listing.stdout  # the secret is never shown again


def test_workspace_from_environment(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    env = {"UNICX_WORKSPACE": ws}
    assert runner.invoke(app, ["init", "--json"], env=env).exit_code == 0
    sources = _json_env(["sources", "list", "--json"], env)
    assert [s["name"] for s in sources] == ["default"]


def _json_env(args: list[str], env: dict[str, str]) -> list[dict[str, object]]:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_sources_and_keys_lifecycle(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _json(["init", "--workspace", ws, "--json"])
    (created,) = _json(["sources", "add", "mobile app", "--workspace", ws, "--json"])  # type: ignore[misc]
    sid = created["source_id"]
    extra = _json(["sources", "add-key", sid, "--workspace", ws, "--json"])
    assert isinstance(extra, dict)
    assert (
        runner.invoke(app, ["sources", "revoke-key", sid, extra["key_id"], "-w", ws]).exit_code == 0
    )
    (revoked,) = _json(["sources", "revoke", sid, "--workspace", ws, "--json"])  # type: ignore[misc]
    assert revoked["revoked_at"] is not None
    key = _json(["keys", "create", "bi tool", "--role", "analyst", "-w", ws, "--json"])
    assert isinstance(key, dict) and key["role"] == "analyst"
    assert runner.invoke(app, ["keys", "revoke", key["key_id"], "-w", ws]).exit_code == 0
    keys = _json(["keys", "list", "-w", ws, "--json"])
    assert isinstance(keys, list)
    assert {k["key_id"]: k["revoked_at"] is not None for k in keys}[key["key_id"]]


def test_errors_are_one_line_not_tracebacks(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["sources", "list", "-w", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "no workspace" in missing.output and "Traceback" not in missing.output
    ws = str(tmp_path / "ws")
    _json(["init", "--workspace", ws, "--json"])
    bad = runner.invoke(app, ["keys", "revoke", "key_nope", "-w", ws])
    assert bad.exit_code == 1 and "no API key" in bad.output
    role = runner.invoke(app, ["keys", "create", "x", "--role", "superuser", "-w", ws])
    assert role.exit_code == 2
