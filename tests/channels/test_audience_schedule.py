"""Scheduled ad-audience syncs (``config.every``): due on the messaging clock after the last
run, asked-for runs included; a failing sync neither stops the others nor floods the log; bad
schedules rejected; and end to end in a running server whose clock a test moves."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.channels.test_audiences import HAS_PHONE, build, ws  # noqa: F401 (fixture)
from tests.conftest import Workspace
from tests.helpers import bearer, eventually
from unicx.api import create_app
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.channels.audience_schedule import AudienceScheduler
from unicx.channels.audiences import create_sync, list_runs, list_syncs, run_sync, update_sync
from unicx.cli.main import app as cli_app
from unicx.clock import Clock
from unicx.config import Settings, load_settings
from unicx.errors import NotFoundError, ValidationError
from unicx.segments.models import SegmentCreate, SegmentUpdate
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store

Ws = tuple[Store, Settings, dict[str, str]]


def test_runs_follow_the_clock(ws: Ws) -> None:  # noqa: F811 (the fixture)
    store, settings, _ = ws
    clock = Clock()
    daily = create_sync(store, name="Daily", segment_ref="Pro",
                        destination="google_customer_match", config={"every": "1d"})  # fmt: skip
    create_sync(store, name="By hand", segment_ref="Pro", destination="meta_custom_audience")
    scheduler = AudienceScheduler(store, settings, clock)
    # Never run: due at once, as a delta (the default) that adds everybody.
    runs = scheduler.run_due()
    assert [(r.sync_id, r.kind, r.added, r.removed) for r in runs] == [
        (daily.sync_id, "delta", 3, 0)
    ]
    assert scheduler.run_due() == []
    clock.advance(timedelta(hours=23, minutes=59))
    assert scheduler.run_due() == []
    svc = SegmentService(store, settings)
    svc.update(svc.get("Pro").segment_id, SegmentUpdate(definition=HAS_PHONE))
    clock.advance(timedelta(minutes=1))
    (run,) = scheduler.run_due()
    assert (run.kind, run.added, run.removed) == ("delta", 1, 1)
    assert len(run.files) == 2 and all((settings.workspace / f).exists() for f in run.files)
    # A run asked for by hand counts: the next scheduled one is a day after it.
    clock.advance(timedelta(hours=12))
    run_sync(store, settings, "Daily", mode="full", now=clock.now())
    clock.advance(timedelta(hours=13))
    assert scheduler.run_due() == []
    clock.advance(timedelta(hours=11))
    assert [r.kind for r in scheduler.run_due()] == ["delta"]
    assert [r.kind for r in list_runs(store, "Daily")] == ["delta", "full", "delta", "delta"]
    assert list_runs(store, "By hand") == []  # no schedule: only when asked


def test_full_mode_and_turning_the_schedule_off(ws: Ws) -> None:  # noqa: F811
    store, settings, _ = ws
    clock = Clock()
    create_sync(store, name="Weekly", segment_ref="Pro", destination="tiktok_custom_audience",
                config={"every": "1w", "mode": "full", "identifiers": ["email"]})  # fmt: skip
    scheduler = AudienceScheduler(store, settings, clock)
    (run,) = scheduler.run_due()
    assert (run.kind, run.added, len(run.files)) == ("full", 2, 1)  # two e-mail addresses
    clock.advance(timedelta(days=7))
    assert [r.kind for r in scheduler.run_due()] == ["full"]
    updated = update_sync(store, "weekly", {"identifiers": ["email"]})
    assert updated.config.every is None and updated.config.mode == "delta"
    clock.advance(timedelta(days=30))
    assert scheduler.run_due() == []
    assert len(list_runs(store, "Weekly")) == 2


def test_a_failing_sync_neither_stops_the_others_nor_floods_the_log(
    ws: Ws,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, settings, _ = ws
    clock = Clock()
    svc = SegmentService(store, settings)
    svc.create(
        SegmentCreate(name="Free", definition={"trait": "plan", "op": "eq", "value": "free"})
    )
    gone = create_sync(store, name="Gone", segment_ref="Free",
                       destination="google_customer_match", config={"every": "1h"})  # fmt: skip
    create_sync(store, name="Stays", segment_ref="Pro",
                destination="google_customer_match", config={"every": "1h"})  # fmt: skip
    svc.delete(svc.get("Free").segment_id, force=True)  # deleted under a sync on purpose
    scheduler = AudienceScheduler(store, settings, clock)
    with caplog.at_level(logging.WARNING, logger="unicx.channels.audience_schedule"):
        for _ in range(3):
            assert [r.sync_id for r in scheduler.run_due()] != [gone.sync_id]
            clock.advance(timedelta(hours=1))
    assert len(list_runs(store, "Stays")) == 3 and list_runs(store, "Gone") == []
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "Gone" in warnings[0] and "deleted" in warnings[0]
    assert not (settings.workspace / "audiences" / "gone").exists()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"every": "0m"}, "config.every"),
        ({"every": "10m"}, "config.every"),  # below 15 minutes
        ({"every": "32d"}, "config.every"),
        ({"every": "soon"}, "config.every"),
        ({"every": ""}, "config.every"),
        ({"every": "1" * 30}, "config.every"),
        ({"every": 3600}, "config.every"),
        ({"every": "-1h"}, "config.every"),
        ({"every": "1d", "mode": "partial"}, "config.mode"),
        ({"every": "1d", "when": "9:00"}, "config.when"),
    ],
)
def test_bad_schedules(ws: Ws, config: dict[str, Any], field: str) -> None:  # noqa: F811
    store, _, _ = ws
    with pytest.raises(ValidationError) as err:
        create_sync(
            store, name="X", segment_ref="Pro", destination="google_customer_match", config=config
        )
    assert [i.field for i in err.value.issues] == [field]
    sync = create_sync(store, name="Ok", segment_ref="Pro", destination="google_customer_match")
    with pytest.raises(ValidationError) as err:
        update_sync(store, sync.sync_id, config)
    assert [i.field for i in err.value.issues] == [field]
    assert [s.config.every for s in list_syncs(store)] == [None]
    with pytest.raises(NotFoundError):
        update_sync(store, "aud_nope", {"every": "1d"})


def test_in_a_running_server(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build(store, workspace.settings)
    store.close()
    settings = load_settings(workspace=workspace.path, clock_control=True)
    with TestClient(create_app(settings)) as api:
        admin = bearer(workspace.secret_key)
        body = {"name": "Pro G", "segment": "Pro", "destination": "google_customer_match"}
        res = api.post("/v1/audiences", json=body, headers=admin)
        assert res.status_code == 201, res.text

        def runs() -> list[dict[str, Any]]:
            res = api.get("/v1/audiences/Pro G/runs", headers=admin)
            assert res.status_code == 200, res.text
            out: list[dict[str, Any]] = res.json()
            return out

        res = api.patch("/v1/audiences/Pro G", json={"config": {"every": "1d"}}, headers=admin)
        assert res.status_code == 200, res.text
        assert res.json()["config"] == {"identifiers": ["email", "phone"], "every": "1d",
                                        "mode": "delta"}  # fmt: skip
        eventually(lambda: len(runs()) == 1, "the first scheduled run")  # woken, not in a minute
        assert api.post("/v1/clock", json={"seconds": 86_400}, headers=admin).status_code == 200
        eventually(lambda: len(runs()) == 2, "the run a day later")
        assert [r["kind"] for r in runs()] == ["delta", "delta"]
        for bad, status in [({"config": {"every": "5m"}}, 400), ({"config": "1d"}, 400),
                            ({"every": "1d"}, 400), ({}, 400)]:  # fmt: skip
            res = api.patch("/v1/audiences/Pro G", json=bad, headers=admin)
            assert res.status_code == status, (bad, res.text)
        res = api.patch("/v1/audiences/Pro G", content=b"{", headers=admin)
        assert res.status_code == 400
        res = api.patch("/v1/audiences/nope", json={"config": {}}, headers=admin)
        assert res.status_code == 404
        access: AccessService = api.app.state.ctx.access  # type: ignore[attr-defined]
        analyst = bearer(access.create_api_key("a", Role.analyst).secret_key)
        res = api.patch("/v1/audiences/Pro G", json={"config": {}}, headers=analyst)
        assert res.status_code == 403
        listed = api.get("/v1/audiences", headers=admin).json()
        assert listed[0]["config"]["every"] == "1d"


def test_cli_configure(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build(store, workspace.settings)
    store.close()
    runner = CliRunner()
    w = ["--workspace", str(workspace.path)]
    res = runner.invoke(cli_app, ["audiences", "create", *w, "Pro M", "--segment", "Pro",
                                  "--destination", "meta_custom_audience"])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli_app, ["audiences", "configure", *w, "Pro M", "--config",
                                  '{"every": "6h", "mode": "full"}'])  # fmt: skip
    assert res.exit_code == 0 and "every 6h, full" in res.output, res.output
    res = runner.invoke(cli_app, ["audiences", "list", *w, "--json"])
    assert json.loads(res.output)[0]["config"]["every"] == "6h"
    for config, fragment in [('{"every": "1s"}', "config.every"), ("[1]", "object"),
                             ("{", "not JSON")]:  # fmt: skip
        res = runner.invoke(cli_app, ["audiences", "configure", *w, "Pro M", "--config", config])
        assert res.exit_code == 1 and fragment in res.output, (config, res.output)
    res = runner.invoke(cli_app, ["audiences", "configure", *w, "nope", "--config", "{}"])
    assert res.exit_code == 1 and "no audience sync" in res.output
