"""Ad-audience syncs on a real workspace: hashes equal hand-computed SHA-256 of normalized
identifiers, full then delta files after membership and consent changes, atomic runs, and bad
input through the service, the API and the CLI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.profiles.traits_data import event, load
from unicx.api import audiences as audiences_api
from unicx.api import create_app
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.channels.audiences import create_sync, list_runs, list_syncs, run_sync, slug
from unicx.cli.main import app as cli_app
from unicx.config import Settings
from unicx.errors import ConflictError, NotFoundError, ValidationError
from unicx.privacy.consent import set_consent
from unicx.profiles.pipeline import update_profiles
from unicx.segments.models import SegmentCreate, SegmentUpdate
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PRO = {"trait": "plan", "op": "eq", "value": "pro"}
HAS_PHONE = {"has": "phone"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Normalized by hand: e-mail trimmed + lower case; the Vietnamese 0-prefixed mobile numbers in
# E.164 (+84, the leading 0 dropped).
LAN_EMAIL, LAN_PHONE = sha("lan.nguyen@example.vn"), sha("+84912345678")
MINH_EMAIL = sha("minh@example.vn")
TUAN_PHONE = sha("+84987654321")


def build(
    store: Store, settings: Settings, extra: dict[str, dict[str, str]] | None = None
) -> dict[str, str]:
    """lan (pro, e-mail + phone), minh (pro, e-mail), tuan (free, phone) and ``extra``;
    segment "Pro"."""
    people = {
        "lan": {"email": "  Lan.Nguyen@Example.VN ", "phone": "0912 345 678", "plan": "pro"},
        "minh": {"email": "minh@example.vn", "plan": "pro"},
        "tuan": {"phone": "098-765-4321", "plan": "free"},
        **(extra or {}),
    }
    load(store, [event("identify", "2025-02-01 10:00", user_id=u, traits=t)
                 for u, t in people.items()], {})  # fmt: skip
    update_profiles(store, settings)
    with store.session() as s:
        rows = s.fetchall("SELECT id_value, profile_id FROM identities WHERE id_type = 'user_id'",
                          step="test.ids")  # fmt: skip
    SegmentService(store, settings).create(SegmentCreate(name="Pro", definition=PRO))
    return {str(u): str(p) for u, p in rows}


@pytest.fixture
def ws(workspace: Workspace) -> Iterator[tuple[Store, Settings, dict[str, str]]]:
    store = open_store(workspace.settings)
    ids = build(store, workspace.settings)
    yield store, workspace.settings, ids
    store.close()


def read(settings: Settings, rel: str) -> str:
    return (settings.workspace / rel).read_text(encoding="utf-8")


def members(store: Store) -> set[tuple[str, str]]:
    with store.session() as s:
        rows = s.fetchall("SELECT key_type, hashed FROM audience_sync_members", step="test.m")
    return {(str(k), str(h)) for k, h in rows}


def csv_of(header: str, emails: list[str], phones: list[str]) -> str:
    lines = [header] + [f"{h}," for h in sorted(emails)] + [f",{h}" for h in sorted(phones)]
    return "\n".join(lines) + "\n"


def test_full_then_delta_google(ws: tuple[Store, Settings, dict[str, str]]) -> None:
    store, settings, ids = ws
    sync = create_sync(store, name="Pro buyers / Google", segment_ref="pro",
                       destination="google_customer_match", now=T0)  # fmt: skip
    assert sync.slug == "pro-buyers-google"
    run = run_sync(store, settings, sync.sync_id, mode="full", now=T0)
    assert run.files == ["audiences/pro-buyers-google/20250301T090000000Z_full.csv"]
    assert (run.added, run.removed) == (3, 0)
    assert read(settings, run.files[0]) == csv_of("Email,Phone", [LAN_EMAIL, MINH_EMAIL],
                                                  [LAN_PHONE])  # fmt: skip
    # Membership changes: now "has a phone" (lan stays, minh leaves, tuan joins).
    svc = SegmentService(store, settings)
    svc.update(svc.get("Pro").segment_id, SegmentUpdate(definition=HAS_PHONE))
    t1 = T0 + timedelta(hours=1)
    run = run_sync(store, settings, sync.sync_id, mode="delta", now=t1)
    add, remove = run.files
    assert add.endswith("20250301T100000000Z_add.csv") and remove.endswith("_remove.csv")
    assert read(settings, add) == csv_of("Email,Phone", [], [TUAN_PHONE])
    assert read(settings, remove) == csv_of("Email,Phone", [MINH_EMAIL], [])
    assert (run.added, run.removed) == (1, 1)
    assert members(store) == {("email", LAN_EMAIL), ("phone", LAN_PHONE), ("phone", TUAN_PHONE)}
    # Nothing changed: empty files (header only), nothing counted.
    run = run_sync(store, settings, sync.sync_id, mode="delta", now=t1 + timedelta(minutes=1))
    assert [read(settings, f) for f in run.files] == ["Email,Phone\n"] * 2
    # lan withdraws ads consent: removed in the next delta even though still a member.
    set_consent(store, settings, ids["lan"], {"ads": False}, actor="test")
    run = run_sync(store, settings, sync.sync_id, mode="delta", now=t1 + timedelta(minutes=2))
    assert read(settings, run.files[0]) == "Email,Phone\n"
    assert read(settings, run.files[1]) == csv_of("Email,Phone", [LAN_EMAIL], [LAN_PHONE])
    # A full run leaves her out too; runs are listed newest first.
    run = run_sync(store, settings, sync.sync_id, mode="full", now=t1 + timedelta(minutes=3))
    assert read(settings, run.files[0]) == csv_of("Email,Phone", [], [TUAN_PHONE])
    history = list_runs(store, "Pro buyers / Google")
    assert [(r.kind, r.added, r.removed) for r in history] == [
        ("full", 0, 0), ("delta", 0, 2), ("delta", 0, 0), ("delta", 1, 1), ("full", 3, 0)
    ]  # fmt: skip
    assert list_syncs(store)[0].last_run_at == t1 + timedelta(minutes=3)


def test_meta_digits_only_and_identifier_choice(ws: tuple[Store, Settings, dict[str, str]]) -> None:
    store, settings, _ = ws
    meta = create_sync(store, name="Pro (Meta)", segment_ref="Pro",
                       destination="meta_custom_audience", now=T0)  # fmt: skip
    run = run_sync(store, settings, meta.sync_id, mode="full", now=T0)
    assert read(settings, run.files[0]) == csv_of("email,phone", [LAN_EMAIL, MINH_EMAIL],
                                                  [sha("84912345678")])  # fmt: skip
    phones = create_sync(store, name="Pro phones", segment_ref="Pro", now=T0,
                         destination="google_customer_match",
                         config={"identifiers": ["phone"]})  # fmt: skip
    run = run_sync(store, settings, phones.sync_id, mode="full", now=T0)
    assert read(settings, run.files[0]) == csv_of("Email,Phone", [], [LAN_PHONE])


def test_tiktok_headers_digits_and_no_plus_tags(workspace: Workspace) -> None:
    store, settings = open_store(workspace.settings), workspace.settings
    try:
        # hoa signed up with a "+tag" address: TikTok matches the address without it.
        build(store, settings, {"hoa": {"email": "Hoa.Tran+Shop@Example.vn", "plan": "pro"}})
        tiktok = create_sync(store, name="Pro (TikTok)", segment_ref="Pro",
                             destination="tiktok_custom_audience", now=T0)  # fmt: skip
        run = run_sync(store, settings, tiktok.sync_id, mode="full", now=T0)
        emails = [LAN_EMAIL, MINH_EMAIL, sha("hoa.tran@example.vn")]
        assert read(settings, run.files[0]) == csv_of("Email_SHA256,Phone_SHA256", emails,
                                                      [sha("84912345678")])  # fmt: skip
        # The other destinations keep the address as the person gave it.
        google = create_sync(store, name="Pro (Google)", segment_ref="Pro",
                             destination="google_customer_match", now=T0)  # fmt: skip
        run = run_sync(store, settings, google.sync_id, mode="full", now=T0)
        assert sha("hoa.tran+shop@example.vn") in read(settings, run.files[0])
    finally:
        store.close()


def test_failed_run_leaves_nothing(ws: tuple[Store, Settings, dict[str, str]]) -> None:
    store, settings, _ = ws
    sync = create_sync(store, name="Pro", segment_ref="Pro", destination="google_customer_match")
    first = run_sync(store, settings, sync.sync_id, mode="full", now=T0)
    before = members(store)
    folder = settings.workspace / "audiences" / "pro"
    # Another file already holds the remove file's name: the run fails as a whole.
    blocker = folder / "20250301T100000000Z_remove.csv"
    blocker.write_text("not ours")
    svc = SegmentService(store, settings)
    svc.update(svc.get("Pro").segment_id, SegmentUpdate(definition=HAS_PHONE))
    with pytest.raises(ConflictError):
        run_sync(store, settings, sync.sync_id, mode="delta", now=T0 + timedelta(hours=1))
    assert sorted(p.name for p in folder.iterdir()) == sorted([Path(first.files[0]).name,
                                                               blocker.name])  # fmt: skip
    assert blocker.read_text() == "not ours"
    assert members(store) == before and len(list_runs(store, sync.sync_id)) == 1
    # Once out of the way, the same delta succeeds against the unchanged state.
    blocker.unlink()
    run = run_sync(store, settings, sync.sync_id, mode="delta", now=T0 + timedelta(hours=1))
    assert (run.added, run.removed) == (1, 1)


def test_bad_input(ws: tuple[Store, Settings, dict[str, str]]) -> None:
    store, settings, _ = ws
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "  "}, "name"),
        ({"name": "../.."}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"destination": "tiktok_ads"}, "destination"),
        ({"destination": "../google_customer_match"}, "destination"),
        ({"segment_ref": "No such segment"}, "segment"),
        ({"config": {"identifiers": ["ssn"]}}, "config.identifiers.0"),
        ({"config": {"identifiers": []}}, "config.identifiers"),
        ({"config": {"secret": 1}}, "config.secret"),
    ]
    for override, field in cases:
        args: dict[str, Any] = {"name": "ok", "segment_ref": "Pro",
                                "destination": "google_customer_match", **override}  # fmt: skip
        with pytest.raises(ValidationError) as err:
            create_sync(store, **args)
        assert [i.field for i in err.value.issues] == [field], override
    assert list_syncs(store) == []
    # Path parts in a name never leave the audiences folder.
    sync = create_sync(store, name="../../etc/passwd", segment_ref="Pro",
                       destination="google_customer_match")  # fmt: skip
    assert slug(sync.name) == "etc-passwd"
    with pytest.raises(ConflictError):
        create_sync(
            store, name="ETC passwd", segment_ref="Pro", destination="google_customer_match"
        )
    with pytest.raises(ValidationError) as err:
        run_sync(store, settings, sync.sync_id, mode="incremental")
    assert err.value.issues[0].field == "mode"
    with pytest.raises(NotFoundError):
        run_sync(store, settings, "aud_nope", mode="full")
    svc = SegmentService(store, settings)
    svc.delete(svc.get("Pro").segment_id, force=True)  # deleted under a sync on purpose
    with pytest.raises(ConflictError, match="deleted"):
        run_sync(store, settings, sync.sync_id, mode="full")


def _app(settings: Settings) -> FastAPI:
    app = create_app(settings.model_copy(update={"journeys_enabled": False}))
    paths = {getattr(r, "path", "") for r in app.routes}
    if not any(getattr(r, "path", "") in paths for r in audiences_api.router.routes):
        app.include_router(audiences_api.router)  # until app.py registers it
    return app


def test_api(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build(store, workspace.settings)
    store.close()
    with TestClient(_app(workspace.settings)) as api:
        auth = bearer(workspace.secret_key)
        body = {"name": "Pro G", "segment": "Pro", "destination": "google_customer_match"}
        res = api.post("/v1/audiences", json=body, headers=auth)
        assert res.status_code == 201, res.text
        sid = res.json()["sync_id"]
        assert api.post("/v1/audiences", json=body, headers=auth).status_code == 409
        for bad, field in [({"destination": "tiktok"}, "destination"),
                           ({"segment": "nope"}, "segment"), ({"name": "/"}, "name"),
                           ({"config": {"identifiers": "email"}}, "config.identifiers"),
                           ({"extra": 1}, "body.extra"), ({"name": 5}, "body.name")]:  # fmt: skip
            res = api.post("/v1/audiences", json={**body, **bad}, headers=auth)
            assert res.status_code == 400, (bad, res.text)
            assert field in [i["field"] for i in res.json()["issues"]], (bad, res.json())
        res = api.post("/v1/audiences", content=b"{not json", headers=auth)
        assert res.status_code == 400
        res = api.post(f"/v1/audiences/{sid}/sync", params={"mode": "full"}, headers=auth)
        assert res.status_code == 200, res.text
        run = res.json()
        assert run["added"] == 3 and len(run["files"]) == 1
        text = (workspace.path / run["files"][0]).read_text()
        assert LAN_PHONE in text and TUAN_PHONE not in text
        res = api.post("/v1/audiences/Pro G/sync", headers=auth)  # delta by default, by name
        assert res.status_code == 200 and res.json()["kind"] == "delta"
        assert api.post(f"/v1/audiences/{sid}/sync?mode=all", headers=auth).status_code == 400
        assert api.post("/v1/audiences/nope/sync", headers=auth).status_code == 404
        runs = api.get(f"/v1/audiences/{sid}/runs", headers=auth).json()
        assert [r["kind"] for r in runs] == ["delta", "full"]
        assert api.get("/v1/audiences/nope/runs", headers=auth).status_code == 404
        assert [s["name"] for s in api.get("/v1/audiences", headers=auth).json()] == ["Pro G"]
        assert api.get("/v1/audiences").status_code == 401
        access: AccessService = api.app.state.ctx.access  # type: ignore[attr-defined]
        analyst = bearer(access.create_api_key("a", Role.analyst).secret_key)
        assert api.get("/v1/audiences", headers=analyst).status_code == 200
        assert api.post(f"/v1/audiences/{sid}/sync", headers=analyst).status_code == 403


def test_cli(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build(store, workspace.settings)
    store.close()
    runner = CliRunner()
    w = ["--workspace", str(workspace.path)]

    def cli(*args: str) -> Any:
        res = runner.invoke(cli_app, [*args[:2], *w, *args[2:]])
        return res

    res = cli("audiences", "create", "Pro M", "--segment", "Pro",
              "--destination", "meta_custom_audience", "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    created = json.loads(res.output)
    assert created["destination"] == "meta_custom_audience"
    res = cli("audiences", "sync", "Pro M", "--mode", "full", "--json")
    assert res.exit_code == 0, res.output
    run = json.loads(res.output)
    assert run["added"] == 3
    assert sha("84912345678") in (workspace.path / run["files"][0]).read_text()
    res = cli("audiences", "list", "--json")
    assert [s["name"] for s in json.loads(res.output)] == ["Pro M"]
    res = cli("audiences", "runs", "Pro M", "--json")
    assert [r["kind"] for r in json.loads(res.output)] == ["full"]
    for args, fragment in [
        (("audiences", "create", "X", "--segment", "Pro", "--destination", "snap"), "destination"),
        (("audiences", "create", "X", "--segment", "Nope", "--destination",
          "meta_custom_audience"), "segment"),
        (("audiences", "create", "X", "--segment", "Pro", "--destination",
          "meta_custom_audience", "--config", "[1]"), "object"),
        (("audiences", "sync", "Pro M", "--mode", "sometimes"), "mode"),
        (("audiences", "sync", "nope"), "no audience sync"),
    ]:  # fmt: skip
        res = cli(*args)
        assert res.exit_code == 1 and fragment in res.output, (args, res.output)
