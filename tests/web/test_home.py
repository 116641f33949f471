"""Home: KPIs with sparklines for who may read reports, the pipeline for everyone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Workspace
from tests.web.conftest import Dashboard
from unicx import overview
from unicx.auth.models import Role
from unicx.runtime.worker import StageStatus
from unicx.web.home import lag_tone, sparkline, stage_rows


@pytest.fixture(autouse=True)
def _fresh_figures() -> None:
    overview.forget()  # the figures are cached per workspace path for a minute


def _order(client: object, workspace: Workspace, user: str, total: float, days_ago: int) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    res = client.post("/v1/track", auth=(workspace.write_key, ""), json={
        "userId": user, "event": "Order Completed", "timestamp": at,
        "properties": {"order_id": f"o-{user}-{days_ago}", "total": total, "currency": "VND"},
    })  # fmt: skip
    assert res.status_code == 200, res.text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_analyst_sees_kpis_with_sparklines(
    dashboard: Dashboard, workspace: Workspace, lang: str
) -> None:
    client = dashboard.client
    for n, days in enumerate((1, 2, 5)):
        _order(client, workspace, f"u{n}", 1_250_000, days)
    client.post("/v1/flush", headers={"Authorization": f"Bearer {workspace.secret_key}"})
    page = dashboard.sign_in(Role.analyst).get(f"/home?lang={lang}")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert page.text.count('class="kpi"') == 9
    assert "<polyline points=" in page.text
    labels = {"vi": ("Doanh thu", "30 ngày qua"), "en": ("Revenue", "Last 30 days")}[lang]
    assert all(label in page.text for label in labels)
    assert 'id="pipeline-title"' in page.text and 'id="models-title"' in page.text


def test_viewer_sees_the_pipeline_only(dashboard: Dashboard) -> None:
    page = dashboard.sign_in(Role.viewer).get("/home?lang=en")
    assert page.status_code == 200
    assert 'class="kpi"' not in page.text and "Revenue" not in page.text
    assert 'id="pipeline-title"' in page.text


def test_sparkline_scales_and_breaks_at_gaps() -> None:
    assert sparkline([]) == [] and sparkline([None, None]) == []
    (line,) = sparkline([0.0, 5.0, 10.0])
    assert line == "0.0,28.0 50.0,15.0 100.0,2.0"
    assert sparkline([1.0, 1.0]) == ["0.0,15.0 100.0,15.0"]  # flat: mid-height
    assert len(sparkline([1.0, 2.0, None, 3.0, 4.0])) == 2


def _stage(**over: object) -> StageStatus:
    base = {"name": "profiles", "running": True, "interval_s": None, "lag_s": 1.0, "runs": 3,
            "errors": 0, "conflicts": 0, "last_error": None, "last_error_at": None,
            "last_run_at": None, "last_ok_at": None}  # fmt: skip
    return StageStatus.model_validate({**base, **over})


def test_stage_badges() -> None:
    assert lag_tone(_stage(lag_s=None)) == "" and lag_tone(_stage(lag_s=2.0)) == "ok"
    assert lag_tone(_stage(lag_s=12.0)) == "ok" and lag_tone(_stage(lag_s=60.0)) == "warn"
    assert lag_tone(_stage(lag_s=9999.0)) == "bad"
    assert lag_tone(_stage(lag_s=50.0, interval_s=60.0)) == "ok"  # within its own rhythm
    failing, recovered = stage_rows([
        _stage(errors=1, last_error="boom", last_error_at=200.0, last_ok_at=100.0),
        _stage(errors=1, last_error="boom", last_error_at=100.0, last_ok_at=200.0),
    ])  # fmt: skip
    assert failing.failing and not recovered.failing
    assert failing.last_error_at == datetime.fromtimestamp(200.0, UTC)


def test_home_page_has_no_script_of_its_own(dashboard: Dashboard) -> None:
    text = dashboard.sign_in(Role.admin).get("/home").text
    assert not re.search(r"<script(?![^>]*src=)", text)
