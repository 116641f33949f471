"""The privacy CLI while `unicx serve` holds the workspace: it goes through the server."""

from __future__ import annotations

import json

from typer import Typer
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess
from tests.privacy.conftest import Person, seed_person
from unicx.cli import privacy as privacy_cli
from unicx.cli.main import app
from unicx.store import Store


def test_consent_export_erase_through_the_server(
    workspace: Workspace, store: Store, alice: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    store.close()
    profiles = Typer()
    privacy_cli.register(profiles)
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    server = ServerProcess(workspace.path).start()
    try:
        res = runner.invoke(profiles, ["consent", alice.profile_id, *ws, "--set", "sms=yes"])
        assert res.exit_code == 0, res.output
        assert "sms              granted" in res.stdout
        res = runner.invoke(profiles, ["export", alice.profile_id, *ws])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["profile_id"] == alice.profile_id
        res = runner.invoke(profiles, ["erase", alice.profile_id, *ws, "--yes", "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["deleted"]["profiles"] == 1
        res = runner.invoke(profiles, ["erase", alice.profile_id, *ws, "--yes"])
        assert res.exit_code == 1 and "no profile" in res.output
        res = runner.invoke(app, ["audit", "list", *ws, "--json"])
        assert res.exit_code == 0, res.output
        actions = [json.loads(line)["action"] for line in res.stdout.splitlines()]
        assert actions[:3] == ["profile.erase", "profile.export", "consent.update"]
    finally:
        server.stop()
