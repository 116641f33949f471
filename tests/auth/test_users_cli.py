"""`unicx users ...` and `unicx init`'s first dashboard user, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from unicx.auth.users import UserService
from unicx.cli.client import RemoteClient, Request
from unicx.cli.main import app
from unicx.cli.users import list_users
from unicx.config import load_settings
from unicx.errors import ConflictError
from unicx.workspace import open_store

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _verifies(ws: str, email: str, password: str) -> bool:
    store = open_store(load_settings(workspace=Path(ws)))
    try:
        return UserService(store).verify(email, password) is not None
    finally:
        store.close()


def test_init_json_gives_the_first_admin_login(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    out = json.loads(_ok(["init", "-w", ws, "--json", "--admin-email", "Boss@Example.com"]))
    assert {"write_key", "secret_key", "key_id", "source_id", "consent_model"} <= out.keys()
    assert out["dashboard_email"] == "boss@example.com"
    assert _verifies(ws, out["dashboard_email"], out["dashboard_password"])


def test_init_default_admin_and_plain_output(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    text = _ok(["init", "-w", ws])
    assert "admin@localhost" in text and "password" in text


def test_users_commands(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _ok(["init", "-w", ws, "--json"])
    created = json.loads(
        _ok(["users", "create", "m@example.com", "--role", "marketer", "-w", ws, "--json"])
    )
    assert set(created) == {"email", "role", "password", "user_id"}
    assert created["role"] == "marketer" and _verifies(ws, "m@example.com", created["password"])
    listing = _ok(["users", "list", "-w", ws, "--json"])
    assert created["password"] not in listing and "argon2" not in listing
    fields = {"user_id", "email", "role", "created_at", "disabled_at", "password_changed_at"}
    assert all(set(u) == fields for u in json.loads(listing))
    assert [u["email"] for u in json.loads(listing)] == ["admin@localhost", "m@example.com"]
    assert "m@example.com" in _ok(["users", "list", "-w", ws])
    reset = json.loads(_ok(["users", "reset-password", "m@example.com", "-w", ws, "--json"]))
    assert reset["password"] != created["password"]
    assert _verifies(ws, "m@example.com", reset["password"])
    assert "disabled m@example.com" in _ok(["users", "disable", "m@example.com", "-w", ws])
    assert not _verifies(ws, "m@example.com", reset["password"])


def test_users_errors_exit_non_zero(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _ok(["init", "-w", ws, "--json"])
    dup = runner.invoke(app, ["users", "create", "ADMIN@localhost", "--role", "viewer", "-w", ws])
    assert dup.exit_code != 0 and "exists" in dup.output
    bad = runner.invoke(app, ["users", "create", "nope", "--role", "viewer", "-w", ws])
    assert bad.exit_code != 0
    ghost = runner.invoke(app, ["users", "disable", "ghost@example.com", "-w", ws])
    assert ghost.exit_code != 0 and "no dashboard user" in ghost.output


def test_a_server_holding_the_workspace_is_named_not_called(tmp_path: Path) -> None:
    """No user routes exist yet: through a server the commands stop with a clear message."""
    remote = list_users().remote
    assert not isinstance(remote, Request)
    with httpx.Client() as http, pytest.raises(ConflictError, match="stop the server first"):
        remote(RemoteClient(load_settings(workspace=tmp_path), http))
