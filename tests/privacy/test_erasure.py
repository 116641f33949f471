"""Erasure leaves no trace (every table and text column scanned), spares everyone else, and
tombstones stop late events from bringing the person back."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer import Typer
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from tests.privacy.conftest import Person, insert_events, seed_person
from unicx.auth.models import Role
from unicx.cli import privacy as privacy_cli
from unicx.errors import NotFoundError, ValidationError
from unicx.identity.keyed import pads, tombstone_hash
from unicx.identity.service import IdentityService
from unicx.privacy.audit import list_audit
from unicx.privacy.erasure import erase_profile
from unicx.privacy.export import export_profile
from unicx.store import Store


def traces(store: Store, values: list[str]) -> dict[str, int]:
    """Hits of any value in any VARCHAR or JSON column of any table, as {table.column: n}."""
    with store.session() as s:
        columns = s.fetchall(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t "
            "ON t.table_name = c.table_name AND t.schema_name = c.schema_name "
            "WHERE NOT t.temporary AND NOT t.internal AND c.data_type IN ('VARCHAR', 'JSON')",
            step="t",
        )
        assert len(columns) > 50
        hits: dict[str, int] = {}
        for table, column in columns:
            row = s.fetchone(
                f'SELECT count(*) FROM "{table}" WHERE EXISTS (SELECT 1 FROM '
                f'(SELECT unnest(?::VARCHAR[]) AS v) WHERE contains(lower("{column}"::VARCHAR), '
                "lower(v)))",
                [values],
                step="t",
            )
            if row and row[0]:
                hits[f"{table}.{column}"] = int(row[0])
    return hits


def _count(store: Store, sql: str) -> int:
    with store.session() as s:
        row = s.fetchone(sql, step="t")
    return int(row[0]) if row else 0


def test_erasure_leaves_no_trace_and_spares_others(
    store: Store, workspace: Workspace, alice: Person, bob: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    seed_person(store, workspace.settings, bob)
    # Bob once typed Alice's email (a refused merge): that event holds her data too.
    insert_events(
        store,
        workspace.settings,
        [{"type": "identify", "userId": bob.user_id, "traits": {"email": alice.email.upper()}}],
    )
    export_profile(store, alice.profile_id, actor="k")  # leaves an audit entry to survive
    assert traces(store, alice.secrets())  # the scan does see her before
    bob_before = export_profile(store, bob.profile_id, actor="k").tables
    report = erase_profile(
        store, workspace.settings, alice.profile_id, actor="key_9", request_id="DSR-1"
    )
    assert report.deleted["events"] == 5 and report.deleted["profiles"] == 1
    assert report.identifiers == {
        "anonymous_id": 2,
        "device_id": 1,
        "email": 1,
        "phone": 1,
        "user_id": 1,
    }
    assert report.tombstones == 6
    assert traces(store, alice.secrets()) == {}
    with store.session() as s:
        hashes = {r[0] for r in s.fetchall("SELECT id_hash FROM tombstones", step="t")}
        key = pads(s)
    assert tombstone_hash(key, "email", alice.email) in hashes and len(hashes) == 6
    # Keyed: the plain SHA-256 of the identifier is not what is stored.
    assert hashlib.sha256(f"email:{alice.email}".encode()).hexdigest() not in hashes
    # Bob keeps all of his events; the one carrying Alice's email has it redacted in place.
    bob_after = export_profile(store, bob.profile_id, actor="k").tables
    assert len(bob_after["events"]) == len(bob_before["events"]) == 6
    assert any(e["traits"] == {"email": "[erased]"} for e in bob_after["events"])
    # Derived tables are recomputed from Bob's remaining events; the others stay as they were.
    derived = ("events", "profile_traits", "computed_traits", "consents", "profile_search")
    for table, rows in bob_before.items():
        if table not in derived:
            assert bob_after[table] == rows, table
    (entry,) = list_audit(store, action="profile.erase")
    assert (entry.actor, entry.target) == ("key_9", alice.profile_id)
    assert entry.detail["request_id"] == "DSR-1" and entry.detail["deleted"]["events"] == 5
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'profile.export'") == 3


def test_late_events_with_erased_identifiers_are_dropped(
    store: Store, workspace: Workspace, alice: Person, bob: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    seed_person(store, workspace.settings, bob)
    erase_profile(store, workspace.settings, alice.profile_id, actor="k")
    since = datetime.now(UTC) - timedelta(seconds=1)
    insert_events(
        store,
        workspace.settings,
        [
            {"type": "track", "event": "Late", "userId": alice.user_id},
            {"type": "page", "anonymousId": alice.anonymous_ids[0]},
            {"type": "identify", "anonymousId": "fresh-anon", "traits": {"email": alice.raw_email}},
            {
                "type": "identify",
                "anonymousId": "fresh-2",
                "context": {"traits": {"phone": "+84 912 345 678"}},
            },
            {"type": "alias", "userId": "new-user", "previousId": alice.anonymous_ids[1]},
            {
                "type": "track",
                "event": "Bob is fine",
                "userId": bob.user_id,
                "traits": {"email": bob.email},
            },
        ],
    )
    # Identity resolution drops them before they can recreate the profile.
    result = IdentityService(store, workspace.settings).resolve_since(since)
    assert result.dropped_events == 5
    assert _count(store, "SELECT count(*) FROM events WHERE event = 'Bob is fine'") == 1
    assert traces(store, alice.secrets()) == {}


def test_drop_is_a_no_op_without_tombstones(
    store: Store, workspace: Workspace, alice: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    result = IdentityService(store, workspace.settings).resolve_since(None)
    assert result.dropped_events == 0


def test_erase_unknown_or_twice(store: Store, workspace: Workspace, alice: Person) -> None:
    seed_person(store, workspace.settings, alice)
    with pytest.raises(ValidationError):
        erase_profile(store, workspace.settings, alice.profile_id, actor="k", request_id="\x00")
    erase_profile(store, workspace.settings, alice.profile_id, actor="k")
    with pytest.raises(NotFoundError):
        erase_profile(store, workspace.settings, alice.profile_id, actor="k")


def test_erasure_api(client: TestClient, workspace: Workspace, alice: Person, bob: Person) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    seed_person(ctx.store, workspace.settings, alice)
    seed_person(ctx.store, workspace.settings, bob)
    admin = bearer(workspace.secret_key)
    analyst = bearer(ctx.access.create_api_key("a", Role.analyst).secret_key)
    url = f"/v1/profiles/{alice.profile_id}"
    assert client.delete(url, headers=analyst).status_code == 403
    assert client.delete(url).status_code == 401
    for hostile in ("nobody", "'; DROP TABLE events; --", "..%2f..%2fetc", "x" * 64):
        res = client.delete(f"/v1/profiles/{hostile}", headers=admin)
        assert res.status_code in (400, 404, 405), (hostile, res.status_code, res.text)
    assert client.delete(f"/v1/profiles/{'x' * 10_000}", headers=admin).status_code == 400
    too_long = client.delete(url, params={"request_id": "r" * 500}, headers=admin)
    assert too_long.status_code == 400
    res = client.delete(url, params={"request_id": "T-42"}, headers=admin)
    assert res.status_code == 200, res.text
    assert res.json()["request_id"] == "T-42" and res.json()["deleted"]["identities"] == 6
    assert client.delete(url, headers=admin).status_code == 404
    assert client.get(f"{url}/export", headers=admin).status_code == 404
    assert client.get(f"/v1/profiles/{bob.profile_id}/export", headers=admin).status_code == 200
    assert traces(ctx.store, alice.secrets()) == {}


def test_erase_cli_needs_yes(workspace: Workspace, store: Store, alice: Person) -> None:
    seed_person(store, workspace.settings, alice)
    store.close()
    app = Typer()
    privacy_cli.register(app)
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    refused = runner.invoke(app, ["erase", alice.profile_id, *ws])
    assert refused.exit_code == 1 and "--yes" in refused.output
    res = runner.invoke(app, ["erase", alice.profile_id, *ws, "--yes", "--json"])
    assert res.exit_code == 0, res.output
    assert '"tombstones":6' in res.stdout
    again = runner.invoke(app, ["erase", alice.profile_id, *ws, "--yes"])
    assert again.exit_code == 1 and "no profile" in again.output


def _send(client: TestClient, write_key: str, events: list[dict[str, object]]) -> None:
    res = client.post("/v1/batch", json={"batch": events}, headers=basic(write_key))
    assert res.status_code == 200, res.text
    assert client.app.state.ctx.updater.wait_idle(30)  # type: ignore[attr-defined]


def test_erase_end_to_end_through_ingest(
    client: TestClient, workspace: Workspace, alice: Person
) -> None:
    """Real ingest and identity resolution: erased, a late event does not bring Alice back."""
    admin = bearer(workspace.secret_key)
    web, app_ = alice.anonymous_ids
    _send(
        client,
        workspace.write_key,
        [
            {"type": "page", "anonymousId": web, "name": "Home"},
            {
                "type": "identify",
                "userId": alice.user_id,
                "anonymousId": web,
                "traits": {"email": alice.raw_email, "phone": alice.raw_phone, "name": alice.name},
            },
            {
                "type": "track",
                "anonymousId": app_,
                "event": "Opened",
                "context": {"traits": {"email": alice.email}},
            },
        ],
    )
    found = client.get("/v1/profiles/lookup", params={"email": alice.email}, headers=admin)
    assert found.status_code == 200, found.text
    profile_id = found.json()["profile_id"]
    erased = client.delete(f"/v1/profiles/{profile_id}", headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["deleted"]["events"] == 3
    _send(
        client,
        workspace.write_key,
        [
            {"type": "track", "userId": alice.user_id, "event": "Late"},
            {"type": "identify", "anonymousId": "anon-new", "traits": {"email": alice.raw_email}},
        ],
    )
    for params in ({"email": alice.email}, {"user_id": alice.user_id}, {"anonymous_id": web}):
        res = client.get("/v1/profiles/lookup", params=params, headers=admin)
        assert res.status_code == 404, (params, res.text)
    leftover = traces(client.app.state.ctx.store, alice.secrets())  # type: ignore[attr-defined]
    assert leftover == {}
