"""Export: every table's rows about the person, audited; no table can be forgotten."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer import Typer
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.privacy.conftest import Person, seed_person
from unicx.auth.models import Role
from unicx.cli import privacy as privacy_cli
from unicx.privacy.audit import list_audit
from unicx.privacy.export import export_profile
from unicx.privacy.registry import NON_PERSONAL_TABLES, PERSON_TABLES
from unicx.store import Store


def test_every_table_is_personal_or_declared_not(store: Store) -> None:
    with store.session() as s:
        tables = {
            str(r[0])
            for r in s.fetchall(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND NOT internal",
                step="t",
            )
        }
    registered = {t.table for t in PERSON_TABLES}
    assert not registered & NON_PERSONAL_TABLES
    forgotten = tables - registered - NON_PERSONAL_TABLES
    assert not forgotten, f"add these to PERSON_TABLES or NON_PERSONAL_TABLES: {forgotten}"
    assert registered <= tables


def test_export_holds_every_table_of_the_person(
    store: Store, workspace: Workspace, alice: Person, bob: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    seed_person(store, workspace.settings, bob)
    data = export_profile(store, alice.profile_id, actor="key_1")
    json.dumps(data.model_dump())  # plain JSON all the way down (python mode: no conversion)
    tables = data.tables
    assert set(tables) == {t.table for t in PERSON_TABLES}
    empty = [name for name, rows in tables.items() if not rows]
    assert not empty, f"seeded but not exported: {empty}"
    assert len(tables["events"]) == 5
    assert {e["message_id"] for e in tables["events"]}.isdisjoint(
        {e["message_id"] for e in export_profile(store, bob.profile_id, actor="k").tables["events"]}
    )
    identify = next(e for e in tables["events"] if e["type"] == "identify")
    assert identify["traits"]["name"] == alice.name  # JSON columns come parsed
    assert isinstance(identify["event_key"], str)  # 128-bit keys as text
    assert {(i["id_type"], i["id_value"]) for i in tables["identities"]} >= {
        ("email", alice.email),
        ("phone", alice.phone),
        ("user_id", alice.user_id),
    }
    assert tables["profile_traits"][0]["value"] == alice.name
    assert tables["identity_merges"][0]["moved"] == [
        {"type": "anonymous_id", "value": alice.anonymous_ids[1]}
    ]
    serialized = json.dumps(data.model_dump(), ensure_ascii=False)
    assert bob.email not in serialized and bob.user_id not in serialized
    entries = list_audit(store, action="profile.export")
    (entry,) = [e for e in entries if e.target == alice.profile_id]
    assert (entry.actor, entry.target) == ("key_1", alice.profile_id)
    assert entry.detail["rows"]["events"] == 5
    assert alice.email not in json.dumps(entry.detail)


def test_export_api_permissions_and_bad_ids(
    client: TestClient, workspace: Workspace, alice: Person
) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    seed_person(ctx.store, workspace.settings, alice)
    admin = bearer(workspace.secret_key)
    res = client.get(f"/v1/profiles/{alice.profile_id}/export", headers=admin)
    assert res.status_code == 200, res.text
    assert res.json()["tables"]["identities"]
    for role in (Role.analyst, Role.marketer):
        key = ctx.access.create_api_key(role.value, role).secret_key
        denied = client.get(f"/v1/profiles/{alice.profile_id}/export", headers=bearer(key))
        assert denied.status_code == 403, denied.text
    for hostile in ("nobody", "' OR 1=1 --", "x" * 64, "%2e%2e%2fetc%2fpasswd", "a%00b"):
        res = client.get(f"/v1/profiles/{hostile}/export", headers=admin)
        assert res.status_code in (400, 404), (hostile, res.status_code, res.text)
    assert client.get(f"/v1/profiles/{'x' * 5000}/export", headers=admin).status_code == 400


def test_export_cli_to_file(
    workspace: Workspace, store: Store, alice: Person, tmp_path: Path
) -> None:
    seed_person(store, workspace.settings, alice)
    store.close()
    app = Typer()
    privacy_cli.register(app)
    out = tmp_path / "alice.json"
    res = CliRunner().invoke(
        app, ["export", alice.profile_id, "--workspace", str(workspace.path), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["profile_id"] == alice.profile_id and len(data["tables"]["events"]) == 5
    missing = CliRunner().invoke(app, ["export", "nobody", "--workspace", str(workspace.path)])
    assert missing.exit_code == 1 and "no profile" in missing.output
