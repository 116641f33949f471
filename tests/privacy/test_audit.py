"""The audit log over HTTP (admin only) and the CLI."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer import Typer
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.privacy.conftest import Person, seed_person
from unicx.auth.models import Role
from unicx.cli import privacy as privacy_cli
from unicx.cli.main import app
from unicx.store import Store


def test_audit_api(client: TestClient, workspace: Workspace, alice: Person, bob: Person) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    seed_person(ctx.store, workspace.settings, alice)
    seed_person(ctx.store, workspace.settings, bob)
    admin = bearer(workspace.secret_key)
    client.get(f"/v1/profiles/{alice.profile_id}/export", headers=admin)
    client.put(
        f"/v1/profiles/{bob.profile_id}/consent", json={"purposes": {"sms": True}}, headers=admin
    )
    client.delete(f"/v1/profiles/{alice.profile_id}", headers=admin)
    res = client.get("/v1/audit", headers=admin)
    assert res.status_code == 200, res.text
    actions = [e["action"] for e in res.json()]
    assert actions[:3] == ["profile.erase", "consent.update", "profile.export"]
    only = client.get("/v1/audit", params={"action": "consent.update"}, headers=admin).json()
    assert [e["target"] for e in only] == [bob.profile_id]
    assert only[0]["detail"] == {"purposes": {"sms": True}}
    for role in (Role.analyst, Role.marketer, Role.viewer):
        key = ctx.access.create_api_key(role.value, role).secret_key
        assert client.get("/v1/audit", headers=bearer(key)).status_code == 403
    for params in ({"limit": 0}, {"limit": 10_000}, {"since": "yesterday"}, {"action": "a" * 65}):
        assert client.get("/v1/audit", params=params, headers=admin).status_code == 400


def test_audit_cli_local(workspace: Workspace, store: Store, alice: Person) -> None:
    seed_person(store, workspace.settings, alice)
    store.close()
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    profiles = Typer()
    privacy_cli.register(profiles)
    assert runner.invoke(profiles, ["export", alice.profile_id, *ws]).exit_code == 0
    res = runner.invoke(app, ["audit", "list", *ws, "--json"])
    assert res.exit_code == 0, res.output
    assert '"action":"profile.export"' in res.stdout and alice.profile_id in res.stdout
    assert alice.email not in res.stdout
    listed = runner.invoke(app, ["audit", "list", *ws, "--action", "profile.erase"])
    assert listed.exit_code == 0 and listed.stdout == ""
