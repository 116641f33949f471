"""`POST /v1/models/train`, `GET /v1/models`, `unicx train`, `unicx models list`, the scheduler."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer
from tests.predict.shop import NOW, build_shop
from unicx.api.app import create_app
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.cli.main import app
from unicx.config import load_settings
from unicx.predict.schedule import TrainScheduler
from unicx.predict.service import TRAINING, check_names
from unicx.predict.train import TRAINERS
from unicx.runtime.worker import PeriodicWorker
from unicx.store import Store
from unicx.workspace import open_store

runner = CliRunner()


def _shop(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    build_shop(store, workspace.settings, people=120)
    store.close()


def test_train_and_list_through_the_api(workspace: Workspace) -> None:
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        assert client.get("/v1/models/clv", headers=auth).status_code == 404
        # An empty workspace: refused with the reason, nothing written.
        res = client.post("/v1/models/train", json={"models": ["clv"]}, headers=auth)
        assert res.status_code == 200, res.text
        assert res.json()[0]["status"] == "rejected"
        assert "too little order history" in res.json()[0]["message"]
        runs = client.get("/v1/models", headers=auth).json()
        assert [(r["model"], r["status"]) for r in runs] == [("clv", "rejected")]
        assert client.get("/v1/models?model=nope", headers=auth).status_code == 404


def test_train_with_data_then_segments_see_the_traits(workspace: Workspace) -> None:
    _shop(workspace)
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        seg = client.post(
            "/v1/segments",
            json={"name": "Big spenders", "definition": {
                "trait": "expected_spend", "op": "gte", "value": 1}},
            params={"strict": "false"},
            headers=auth,
        )  # fmt: skip
        assert seg.status_code == 201, seg.text
        assert seg.json()["size"] == 0  # no model output yet
        res = client.post("/v1/models/train", json={"models": ["clv"]}, headers=auth)
        assert res.status_code == 200 and res.json()[0]["status"] == "active", res.text
        active = client.get("/v1/models/clv", headers=auth).json()
        assert active["status"] == "active" and active["metrics"]["buyers"] == 120
        # Training refreshes segments: the segment on the new trait is filled at once.
        size = client.get(f"/v1/segments/{seg.json()['segment_id']}", headers=auth).json()["size"]
        assert size > 0


def test_bad_requests_and_roles(workspace: Workspace) -> None:
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
        post = client.post
        res = post("/v1/models/train", json={"models": ["clv", "nope"]}, headers=auth)
        assert res.status_code == 400 and "nope" in res.json()["message"]
        assert post("/v1/models/train", json={"models": []}, headers=auth).status_code == 400
        assert post("/v1/models/train", json={"models": "clv"}, headers=auth).status_code == 400
        bad = post("/v1/models/train", content=b"{not json", headers=auth)
        assert bad.status_code == 400
        deep = post("/v1/models/train", content=b"[" * 1500 + b"]" * 1500, headers=auth)
        assert deep.status_code == 400
        huge = post("/v1/models/train", content=b" " * 10_000, headers=auth)
        assert huge.status_code == 413
        with TRAINING:  # a training in progress: the second one is refused, not raced
            busy = post("/v1/models/train", json={"models": ["clv"]}, headers=auth)
        assert busy.status_code == 409 and "already running" in busy.json()["message"]
        access: AccessService = client.app.state.ctx.access  # type: ignore[attr-defined]
        analyst = access.create_api_key("a", Role.analyst).secret_key
        assert post("/v1/models/train", headers=bearer(analyst)).status_code == 403
        assert client.get("/v1/models", headers=bearer(analyst)).status_code == 200
        assert client.get("/v1/models").status_code == 401
        with store.session() as s:
            assert s.fetchone("SELECT count(*) FROM models", step="t") == (0,)


def test_cli_train_and_list(workspace: Workspace) -> None:
    _shop(workspace)
    ws = str(workspace.path)
    out = runner.invoke(app, ["train", "--workspace", ws, "--model", "clv", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["status"] == "active"
    listed = runner.invoke(app, ["models", "list", "--workspace", ws])
    assert listed.exit_code == 0 and "clv" in listed.output and "active" in listed.output
    bad = runner.invoke(app, ["train", "--workspace", ws, "--model", "nope"])
    assert bad.exit_code == 1 and "unknown model 'nope'" in bad.output


def test_cli_train_through_a_running_server(workspace: Workspace) -> None:
    _shop(workspace)
    ws = str(workspace.path)
    server = ServerProcess(workspace.path).start()
    try:
        out = runner.invoke(app, ["train", "-w", ws, "-m", "clv", "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)[0]["status"] == "active"
        listed = runner.invoke(app, ["models", "list", "-w", ws, "--model", "clv", "--json"])
        assert [r["status"] for r in json.loads(listed.output)] == ["active"]
        unknown = runner.invoke(app, ["models", "list", "-w", ws, "--model", "nope"])
        assert unknown.exit_code == 1 and "unknown model" in unknown.output
    finally:
        server.stop()


def test_scheduler_trains_when_due(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only CLV here: the other trainers have their own tests, and the schedule is the same.
    for name in [n for n in TRAINERS if n != "clv"]:
        monkeypatch.delitem(TRAINERS, name)
    _shop(workspace)
    settings = load_settings(workspace=workspace.path, train_interval_hours=24)
    store = open_store(settings)
    try:
        clock = [NOW]
        scheduler = TrainScheduler(store, settings, clock=lambda: clock[0])
        with TRAINING:  # `unicx train` is running: the scheduler leaves it alone
            assert not scheduler.run_if_due()
        assert scheduler.run_if_due()  # never trained and there are orders
        assert not scheduler.run_if_due()
        clock[0] = NOW + timedelta(hours=25)
        assert scheduler.run_if_due()
        off = TrainScheduler(store, load_settings(workspace=workspace.path, train_interval_hours=0))
        clock[0] = NOW + timedelta(days=30)
        assert not off.run_if_due()
        with store.session() as s:
            assert s.fetchone("SELECT count(*) FROM models", step="t") == (2,)
    finally:
        store.close()


def test_model_names() -> None:
    assert check_names(None) == list(TRAINERS)  # no names: every model, in training order
    assert check_names(["clv", "clv"]) == ["clv"]


def test_scheduler_thread_trains_in_the_background_and_stops(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in TRAINERS if n != "clv"]:
        monkeypatch.delitem(TRAINERS, name)
    _shop(workspace)
    store = open_store(workspace.settings)
    try:
        scheduler = TrainScheduler(store, workspace.settings)
        worker = PeriodicWorker(
            "train", scheduler.run_if_due, interval_s=0.05, first_run="after_interval"
        )
        worker.start()
        deadline = time.monotonic() + 30
        runs: tuple[int] | None = (0,)
        while runs == (0,) and time.monotonic() < deadline:
            time.sleep(0.05)
            with store.session() as s:
                runs = s.fetchone("SELECT count(*) FROM models", step="t")
        worker.stop()
        assert runs == (1,) and not worker.running
    finally:
        store.close()


def test_training_every_model_on_an_empty_workspace_rejects_each(workspace: Workspace) -> None:
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        for body in ({"models": None}, {}):
            res = client.post("/v1/models/train", json=body, headers=auth)
            assert res.status_code == 200, res.text
            runs = res.json()
            assert {r["model"] for r in runs} == {"clv", "churn", "recommend"}
            assert all(r["status"] == "rejected" and r["message"] for r in runs)
