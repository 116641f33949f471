"""The Runtime in a real server: every stage listed by GET /v1/pipeline with its figures, a
failing step's last error reported there, and the shutdown order that keeps acked events."""

from __future__ import annotations

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import basic, bearer, eventually
from unicx.api import create_app
from unicx.channels.base import channel_names
from unicx.channels.outbox import OTHER_LANE
from unicx.profiles.daily import DailyTraitsRefresh
from unicx.profiles.pipeline import read_watermark
from unicx.runtime.chain import Runtime
from unicx.workspace import open_store

SCHEDULERS = ["train", "segments", "traits-daily"]


def _stages(client: TestClient, workspace: Workspace) -> dict[str, dict[str, object]]:
    res = client.get("/v1/pipeline", headers=bearer(workspace.secret_key))
    assert res.status_code == 200, res.text
    return {stage["name"]: stage for stage in res.json()["stages"]}


def test_the_pipeline_lists_every_stage_in_start_order(
    client: TestClient, workspace: Workspace
) -> None:
    stages = _stages(client, workspace)
    lanes = [f"lane-{name}" for name in [*channel_names(), OTHER_LANE]]
    expected = ["writer", "profiles", *lanes, "outbox", "journeys", "audiences", *SCHEDULERS]
    assert list(stages) == expected
    assert all(stage["running"] for stage in stages.values())
    assert stages["profiles"]["interval_s"] is None  # it runs when the writer commits
    assert stages["journeys"]["interval_s"] == workspace.settings.journey_tick_ms / 1000
    assert stages["profiles"]["lag_s"] == 0.0 and stages["train"]["lag_s"] is None


def test_a_failing_step_shows_its_last_error(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: DailyTraitsRefresh) -> bool:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(DailyTraitsRefresh, "run_if_due", broken)
    with TestClient(create_app(workspace.settings)) as client:
        # The daily refresh checks once at start, on its own thread.
        eventually(lambda: _stages(client, workspace)["traits-daily"]["errors"] == 1, "the error")
        stage = _stages(client, workspace)["traits-daily"]
        assert stage["last_error"] == "RuntimeError: the disk is full"
        assert stage["last_error_at"] is not None and stage["last_ok_at"] is None
        assert stage["running"]  # the worker lives on and tries again after its backoff
        assert _stages(client, workspace)["profiles"]["errors"] == 0


def test_a_server_without_journeys_runs_no_messaging_stage(workspace: Workspace) -> None:
    settings = workspace.settings.model_copy(update={"journeys_enabled": False})
    with TestClient(create_app(settings)) as client:
        assert list(_stages(client, workspace)) == ["writer", "profiles", *SCHEDULERS]
        assert client.app.state.ctx.messaging is None  # type: ignore[attr-defined]


def test_events_acked_before_the_stop_are_in_profiles_after_it(workspace: Workspace) -> None:
    """The writer stops before the profile updater: its last commits still get their pass."""
    with TestClient(create_app(workspace.settings)) as client:
        for i in range(20):
            body = {"userId": f"u{i}", "traits": {"email": f"u{i}@example.vn"}}
            res = client.post("/v1/identify", json=body, headers=basic(workspace.write_key))
            assert res.status_code == 200, res.text
    store = open_store(workspace.settings)
    try:
        with store.session() as s:
            unresolved = s.fetchone(
                "SELECT count(*) FROM event_profiles WHERE profile_id IS NULL", step="t"
            )
            profiles = s.fetchone("SELECT count(DISTINCT profile_id) FROM event_profiles", step="t")
        assert unresolved == (0,) and profiles == (20,)
        assert read_watermark(store) is not None
    finally:
        store.close()


def test_a_runtime_stops_what_it_started_when_a_part_fails_to_start(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(workspace.settings)
    runtime = Runtime(store, workspace.settings)

    def refuse() -> None:
        raise OSError("no processes left")

    monkeypatch.setattr(runtime, "_open_pool", refuse)
    with pytest.raises(OSError):
        runtime.start(flush_recommendations=lambda: None)
    stages = runtime.status()
    assert [s.name for s in stages[:2]] == ["writer", "profiles"]
    assert not any(s.running for s in stages)
    with pytest.raises(duckdb.ConnectionException):  # it closed the store on its way out
        store.session()
