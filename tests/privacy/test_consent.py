"""Consent from events (context.consent, Consent Updated), from the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer import Typer
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.privacy.conftest import LONG_AGO, Person, insert_events, seed_person
from unicx.cli import privacy as privacy_cli
from unicx.errors import NotFoundError, ValidationError
from unicx.privacy.consent import (
    PURPOSES,
    SYNTHETIC_ANONYMOUS_PREFIX,
    get_consent,
    refresh_consents,
    set_consent,
)
from unicx.store import Store


def _at(minutes: int) -> str:
    return (LONG_AGO + timedelta(days=1, minutes=minutes)).isoformat()


def _granted(store: Store, profile_id: str) -> dict[str, bool | None]:
    return {p: s.granted for p, s in get_consent(store, profile_id).purposes.items()}


def _refresh(store: Store, workspace: Workspace, ids: list[str] | None) -> int:
    with store.session() as s, s.transaction():
        return refresh_consents(s, workspace.settings, ids)


def test_unknown_until_recorded(store: Store, workspace: Workspace, alice: Person) -> None:
    seed_person(store, workspace.settings, alice)
    _refresh(store, workspace, None)  # the seeded row came from no event: it goes
    assert _granted(store, alice.profile_id) == dict.fromkeys(PURPOSES)


def test_context_consent_both_shapes(store: Store, workspace: Workspace, alice: Person) -> None:
    seed_person(store, workspace.settings, alice)
    uid = alice.user_id
    insert_events(
        store,
        workspace.settings,
        [
            {
                "type": "page",
                "userId": uid,
                "timestamp": _at(1),
                "context": {"consent": {"email": True, "SMS": False, "push": "yes", "fax": True}},
            },
            {
                "type": "track",
                "event": "Viewed",
                "userId": uid,
                "timestamp": _at(2),
                "context": {
                    "consent": {
                        "categoryPreferences": {
                            "Advertising": True,
                            "Personalization": False,
                            "Analytics": True,
                        }
                    }
                },
            },
        ],
    )
    assert _refresh(store, workspace, [alice.profile_id]) == 4
    state = get_consent(store, alice.profile_id).purposes
    assert {p: s.granted for p, s in state.items()} == {
        "email": True,
        "sms": False,
        "push": None,
        "ads": True,
        "personalization": False,
    }
    assert state["ads"].source is not None and state["ads"].source.startswith("src_privacy_test/")


def test_consent_updated_both_shapes_latest_wins(
    store: Store, workspace: Workspace, alice: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    uid, anon = alice.user_id, alice.anonymous_ids[0]
    events: list[dict[str, Any]] = [
        {
            "type": "track",
            "event": "Consent Updated",
            "userId": uid,
            "timestamp": _at(5),
            "properties": {"purpose": "email", "granted": False},
        },
        {
            "type": "track",
            "event": "Consent Updated",
            "anonymousId": anon,
            "timestamp": _at(3),
            "properties": {"purposes": {"email": True, "sms": True, "push": False}},
        },
        # Arrives last but happened first: older decisions never override newer ones.
        {
            "type": "track",
            "event": "Consent Updated",
            "userId": uid,
            "timestamp": _at(1),
            "properties": {"purposes": {"push": True}},
        },
    ]
    insert_events(store, workspace.settings, events)
    _refresh(store, workspace, [alice.profile_id])
    assert _granted(store, alice.profile_id) == {
        "email": False,
        "sms": True,
        "push": False,
        "ads": None,
        "personalization": None,
    }


def test_set_consent_writes_an_event_and_applies_it(
    store: Store, workspace: Workspace, alice: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    result = set_consent(
        store, workspace.settings, alice.profile_id, {"email": False, "ads": True}, actor="t"
    )
    assert result.purposes["email"].granted is False and result.purposes["ads"].granted is True
    with store.session() as s:
        row = s.fetchone(
            "SELECT user_id, source_id, properties->>'$.purposes.email' FROM events "
            "WHERE event = 'Consent Updated'",
            step="t",
        )
    assert row == (alice.user_id, "unicx:api", "false")
    # The stored event is the history: recomputing from events gives the same answer.
    _refresh(store, workspace, None)
    assert _granted(store, alice.profile_id)["email"] is False


def test_set_consent_rejects_unknown_purposes_and_profiles(
    store: Store, workspace: Workspace, alice: Person
) -> None:
    seed_person(store, workspace.settings, alice)
    with pytest.raises(ValidationError, match="unknown purpose 'fax'; expected one of email"):
        set_consent(store, workspace.settings, alice.profile_id, {"fax": True}, actor="t")
    with pytest.raises(ValidationError, match="at least one"):
        set_consent(store, workspace.settings, alice.profile_id, {}, actor="t")
    with pytest.raises(NotFoundError):
        set_consent(store, workspace.settings, "prof-nobody", {"email": True}, actor="t")


def test_profile_without_user_or_anonymous_id(store: Store, workspace: Workspace) -> None:
    now = datetime.now(UTC)
    with store.session() as s, s.transaction():
        s.execute("INSERT INTO profiles VALUES ('prof-crm', ?, ?)", [now, now], step="t")
        s.execute(
            "INSERT INTO identities VALUES ('email', 'crm@example.com', 'prof-crm', ?, ?)",
            [now, now],
            step="t",
        )
    result = set_consent(store, workspace.settings, "prof-crm", {"sms": True}, actor="t")
    assert result.purposes["sms"].granted is True
    with store.session() as s:
        row = s.fetchone("SELECT anonymous_id FROM events", step="t")
    assert row == (SYNTHETIC_ANONYMOUS_PREFIX + "prof-crm",)


def test_consent_api(client: TestClient, workspace: Workspace, alice: Person) -> None:
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    seed_person(store, workspace.settings, alice)
    admin = bearer(workspace.secret_key)
    url = f"/v1/profiles/{alice.profile_id}/consent"
    res = client.put(url, json={"purposes": {"email": False, "push": True}}, headers=admin)
    assert res.status_code == 200, res.text
    assert res.json()["purposes"]["email"]["granted"] is False
    body = client.get(url, headers=admin).json()["purposes"]
    assert body["push"]["granted"] is True and body["sms"] == {
        "granted": None,
        "updated_at": None,
        "source": None,
    }
    bad = client.put(url, json={"purposes": {"fax": True}}, headers=admin)
    assert bad.status_code == 400
    assert "unknown purpose 'fax'" in bad.json()["message"]
    assert bad.json()["issues"][0]["field"] == "purposes.fax"
    bodies: list[object] = [{"purposes": {"email": "false"}}, {"purposes": {}}, {"x": 1}, [1]]
    for body_ in bodies:
        assert client.put(url, json=body_, headers=admin).status_code == 400
    missing = client.put(
        "/v1/profiles/prof-nobody/consent", json={"purposes": {"email": True}}, headers=admin
    )
    assert missing.status_code == 404
    assert client.get(url).status_code == 401


def test_consent_cli_local(workspace: Workspace, alice: Person, store: Store) -> None:
    seed_person(store, workspace.settings, alice)
    store.close()  # the CLI opens the workspace itself
    app = Typer()
    privacy_cli.register(app)
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    res = runner.invoke(app, ["consent", alice.profile_id, *ws, "--set", "email=false", "--json"])
    assert res.exit_code == 0, res.output
    assert '"email":{"granted":false' in res.stdout
    shown = runner.invoke(app, ["consent", alice.profile_id, *ws])
    assert "email            denied" in shown.stdout and "sms              unknown" in shown.stdout
    bad = runner.invoke(app, ["consent", alice.profile_id, *ws, "--set", "fax=true"])
    assert bad.exit_code == 1 and "unknown purpose 'fax'" in bad.output
    bad = runner.invoke(app, ["consent", alice.profile_id, *ws, "--set", "email"])
    assert bad.exit_code == 1 and "PURPOSE=true|false" in bad.output
