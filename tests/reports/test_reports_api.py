"""The reports over HTTP: JSON and CSV, roles, and bad input that must get a 4xx naming the
parameter (never a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity.conftest import send
from tests.reports.data import load_shop
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.store import Store

JUNE = {"from": "2024-06-01", "to": "2024-07-01"}
REPORTS = ("geography", "products", "affinity", "funnel", "cohorts")


@pytest.fixture
def api(client: TestClient, workspace: Workspace) -> TestClient:
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    load_shop(store)
    client.headers.update(bearer(workspace.secret_key))
    return client


def get(client: TestClient, report: str, **params: Any) -> Any:
    return client.get(f"/v1/reports/{report}", params=params)


def test_geography_json_echoes_the_parameters(api: TestClient) -> None:
    res = get(api, "geography", **JUNE, segment="VIP", level="city")
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["params"] == {
        "from": "2024-06-01", "to": "2024-07-01", "segment": "seg-vip",
        "timezone": "Asia/Ho_Chi_Minh", "currency": "VND", "level": "city", "limit": 100,
    }  # fmt: skip
    assert [(r["city"], r["revenue"]) for r in body["rows"]] == [
        ("Hà Nội", 800000.0),
        ("Singapore", 450000.0),
    ]


def test_csv_download(api: TestClient) -> None:
    res = get(api, "products", **JUNE, format="csv")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/csv")
    assert res.headers["content-disposition"] == (
        'attachment; filename="products-2024-06-01-2024-07-01.csv"'
    )
    lines = res.text.splitlines()
    assert lines[0].startswith("item,name,category,views,adds,buyers,units,orders")
    assert lines[1].startswith("sake,,sake,2,0,2,3.0,3,900000.0,0.0,")
    assert len(lines) == 4


@pytest.mark.parametrize("report", REPORTS)
def test_every_report_answers_json_and_csv(api: TestClient, report: str) -> None:
    params = {**JUNE, **({"min_count": 1} if report == "affinity" else {})}
    res = get(api, report, **params)
    assert res.status_code == 200, res.text
    assert res.json()["rows"], res.text
    csv = get(api, report, **params, format="csv")
    assert csv.status_code == 200 and csv.text.count("\n") == len(res.json()["rows"]) + 1


@pytest.mark.parametrize(
    ("report", "params", "field"),
    [
        ("geography", {"from": "2024-07-01", "to": "2024-07-01"}, "from"),
        ("funnel", {"from": "2024-07-02", "to": "2024-07-01"}, "from"),
        ("geography", {"from": "2024-02-30"}, "query.from"),
        ("products", {"to": "yesterday"}, "query.to"),
        ("cohorts", {"from": "0001-01-01"}, "from"),
        ("cohorts", {"to": "9999-12-31"}, "to"),
        ("geography", {"level": "planet"}, "query.level"),
        ("products", {"level": "sku"}, "query.level"),
        ("geography", {"limit": 10**9}, "query.limit"),
        ("affinity", {"limit": 0}, "query.limit"),
        ("affinity", {"min_support": 2}, "query.min_support"),
        ("affinity", {"min_count": -1}, "query.min_count"),
        ("affinity", {"item": "x" * 201}, "query.item"),
        ("funnel", {"by": "utm_content"}, "query.by"),
        ("cohorts", {"period": "year"}, "query.period"),
        ("cohorts", {"periods": 61}, "query.periods"),
        ("cohorts", {"by": "signup"}, "query.by"),
        ("geography", {"format": "xlsx"}, "query.format"),
        ("geography", {"segment": ""}, "query.segment"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    api: TestClient, report: str, params: dict[str, Any], field: str
) -> None:
    res = get(api, report, **params)
    assert res.status_code == 400, res.text
    assert res.json()["issues"][0]["field"] == field


@pytest.mark.parametrize("segment", ["nope", "Old", "seg-old"])
def test_unknown_or_deleted_segment_is_404(api: TestClient, segment: str) -> None:
    for report in REPORTS:
        res = get(api, report, **JUNE, segment=segment)
        assert res.status_code == 404, res.text
        assert "segment" in res.json()["message"]


def test_bad_funnel_file_is_400_naming_it(api: TestClient, workspace: Workspace) -> None:
    path = workspace.path / "funnel.yaml"
    for text, field in [
        ("stages: [", "funnel.yaml"),
        ("stages:\n  - name: only one\n    types: [page]\n", "funnel.yaml.stages"),
        ("stages:\n  - name: a\n  - name: b\n    events: [x]\n", "funnel.yaml.stages.0"),
        ("stages:\n  - {name: a, types: [fax]}\n  - {name: b, events: [x]}\n",
         "funnel.yaml.stages.0.types.0"),
        ("- just a list\n", "funnel.yaml"),
    ]:  # fmt: skip
        path.write_text(text, encoding="utf-8")
        res = get(api, "funnel", **JUNE)
        assert res.status_code == 400, (text, res.text)
        assert res.json()["issues"][0]["field"] == field, (text, res.text)


def test_reports_need_the_reports_permission(
    client: TestClient, workspace: Workspace, api: TestClient
) -> None:
    access: AccessService = client.app.state.ctx.access  # type: ignore[attr-defined]
    for role, status in [(Role.viewer, 403), (Role.analyst, 200), (Role.marketer, 200)]:
        secret = access.create_api_key(role.value, role).secret_key
        res = client.get("/v1/reports/funnel", params=JUNE, headers=bearer(secret))
        assert res.status_code == status, (role, res.text)
    assert client.get("/v1/reports/funnel", headers={"Authorization": ""}).status_code == 401


def test_reports_follow_ingested_events(client: TestClient, workspace: Workspace) -> None:
    """Events sent through the ingest API are in the reports once the updater resolved them."""
    ctx = {"library": {"name": "analytics.js", "version": "2"},
           "location": {"country": "Vietnam", "city": "Huế"}}  # fmt: skip
    order = {
        "order_id": "W1",
        "revenue": 120000,
        "currency": "VND",
        "products": [{"product_id": "T1", "category": "tea", "price": 60000, "quantity": 2}],
    }
    batch = [
        {"type": "page", "anonymousId": "a-1", "context": ctx,
         "timestamp": "2024-06-10T03:00:00Z"},
        {"type": "identify", "userId": "u-1", "anonymousId": "a-1",
         "timestamp": "2024-06-10T03:01:00Z"},
        {"type": "track", "userId": "u-1", "event": "Order Completed", "properties": order,
         "context": ctx, "timestamp": "2024-06-10T03:02:00Z"},
    ]  # fmt: skip
    send(client, workspace.write_key, batch)
    res = client.get(
        "/v1/reports/geography",
        params={**JUNE, "level": "city"},
        headers=bearer(workspace.secret_key),
    )
    assert res.status_code == 200, res.text
    assert res.json()["rows"] == [
        {"country": "Vietnam", "city": "Huế", "active_users": 1, "buyers": 1, "orders": 1,
         "revenue": 120000.0, "revenue_per_user": 120000.0, "revenue_per_buyer": 120000.0,
         "average_order_value": 120000.0, "conversion": 1.0},
    ]  # fmt: skip
