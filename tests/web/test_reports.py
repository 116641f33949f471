"""The report pages: every report in both languages with its chart and table, CSV downloads,
filters in the URL, hostile filters (400 at the field, never 500) and permissions.

Data: the report tests' shop (tests/reports/data.py, June 2024) plus a customer in Biên Hòa
whose events come through /v1/batch with the workspace's write key and the realtime pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity.conftest import send
from tests.recommend.test_serving import CATALOG
from tests.recommend.test_serving import _shop as recommend_shop
from tests.reports.data import load_shop
from tests.web.conftest import Dashboard
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.config import load_settings
from unicx.web.app import create_app
from unicx.web.reports import charts
from unicx.workspace import init_workspace, open_store

JUNE = {"from": "2024-06-01", "to": "2024-06-30"}
REPORTS = ("geography", "products", "affinity", "funnel", "cohorts")
EVIL = "</script><script>alert(1)</script>"
CHART = re.compile(r'<script type="application/json" id="fig-(\w+)">(.*?)</script>', re.S)


def _batch() -> list[dict[str, Any]]:
    """Hoa in Biên Hòa (a city of Đồng Nai): a visit then an order of beer and an oddly named
    product, on June 18, 2024."""
    where = {"location": {"country": "Vietnam", "city": "Biên Hòa"}, "campaign": {"source": "zalo"}}
    beer = {"product_id": "B1", "sku": "B1", "name": "Bia Saigon", "category": "beer",
            "price": 100000, "quantity": 2}  # fmt: skip
    odd = {"product_id": "X1", "sku": "X1", "name": EVIL, "category": "beer", "price": 50000,
           "quantity": 1}  # fmt: skip
    order = {"order_id": "H1", "revenue": 250000, "currency": "VND", "products": [beer, odd]}
    return [
        {"type": "page", "userId": "u-hoa", "timestamp": "2024-06-18T09:00:00+07:00",
         "context": where, "name": "Home"},
        {"type": "track", "event": "Order Completed", "userId": "u-hoa",
         "timestamp": "2024-06-18T09:30:00+07:00", "context": where, "properties": order},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The dashboard fixture's workspace and users, once for the module: the pages only read."""
    path = tmp_path_factory.mktemp("reports") / "ws"
    workspace = Workspace(
        path, load_settings(workspace=path), init_workspace(load_settings(workspace=path))
    )
    store = open_store(workspace.settings)
    try:
        service = UserService(store)
        users = {r: service.create(f"{r.value}@shop.example.com", r).password for r in Role}
        load_shop(store)
    finally:
        store.close()
    with TestClient(create_app(workspace.settings), follow_redirects=False) as client:
        send(client, workspace.write_key, _batch())
        yield Dashboard(client, users)


@pytest.fixture
def analyst(shop: Dashboard) -> TestClient:
    shop.client.cookies.clear()
    return shop.sign_in(Role.analyst)


def page(client: TestClient, report: str, **params: Any) -> Any:
    return client.get(f"/reports/{report}", params={**JUNE, "lang": "vi", **params})


def chart_of(html: str) -> dict[str, Any]:
    match = CHART.search(html)
    assert match, "the page has no chart block"
    figure: dict[str, Any] = json.loads(match.group(2))
    return figure


def table_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", r)] for r in rows
    ]


def test_the_index_lists_every_report(analyst: TestClient) -> None:
    res = analyst.get("/reports?lang=vi")
    assert res.status_code == 200 and '<html lang="vi">' in res.text
    for key in (*REPORTS, "recommendations"):
        assert f'href="/reports/{key}"' in res.text
    assert "Địa lý" in res.text and "plotly" not in res.text
    assert "Geography" in analyst.get("/reports?lang=en").text


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("report", REPORTS)
def test_every_report_renders_with_chart_and_table(
    analyst: TestClient, report: str, lang: str
) -> None:
    res = page(analyst, report, lang=lang, **({"min_count": 1} if report == "affinity" else {}))
    assert res.status_code == 200, res.text
    assert f'<html lang="{lang}">' in res.text
    assert '<script src="/static/plotly.min.js" defer></script>' in res.text
    figure = chart_of(res.text)
    assert figure["data"] and figure["layout"]["title"]["text"]
    assert figure["layout"]["xaxis"]["title"]["text"] and figure["layout"]["yaxis"]["title"]["text"]
    assert table_rows(res.text), "the table is empty"
    period = "01/06/2024 \u2013 30/06/2024" if lang == "vi" else "1 Jun 2024 \u2013 30 Jun 2024"
    assert period in figure["layout"]["title"]["text"] and period in res.text
    assert f"/reports/{report}?" in res.text and "format=csv" in res.text


def test_geography_by_country_and_province(analyst: TestClient) -> None:
    countries = table_rows(page(analyst, "geography").text)
    assert [r[0] for r in countries] == ["Việt Nam", "Singapore"]
    assert table_rows(page(analyst, "geography", lang="en").text)[0][0] == "Vietnam"
    res = page(analyst, "geography", level="province", lang="vi")
    places = [r[0] for r in table_rows(res.text)]
    assert places == ["Hà Nội", "Singapore", "Đồng Nai", "TP. Hồ Chí Minh"]
    assert chart_of(res.text)["data"][0]["y"][-1] == "Hà Nội"  # largest on top
    hanoi = table_rows(res.text)[0]
    assert hanoi[1:4] == ["3", "1", "2"] and hanoi[4] == "800.000\xa0₫"


def test_filters_in_the_url_change_the_answer(analyst: TestClient) -> None:
    vip = table_rows(page(analyst, "geography", level="city", segment="VIP").text)
    assert [r[0] for r in vip] == ["Hà Nội, Việt Nam", "Singapore, Singapore"]
    res = page(analyst, "funnel", by="utm_source", lang="en")
    groups = {r[0] for r in table_rows(res.text)}
    assert {"google", "facebook", "zalo"} <= groups
    assert len(chart_of(res.text)["data"]) == len(groups)
    first_half = table_rows(page(analyst, "products", to="2024-06-09").text)
    whole = table_rows(page(analyst, "products").text)
    assert first_half != whole
    res = page(analyst, "products", level="product")
    assert 'value="product" selected' in res.text and "Sake Dassai" in res.text


def test_csv_download_has_the_rows(analyst: TestClient) -> None:
    res = page(analyst, "products", format="csv")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert 'filename="products-2024-06-01-2024-07-01.csv"' in res.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(res.text)))
    assert rows[0][:3] == ["item", "name", "category"]
    assert {r[0] for r in rows[1:]} == {"beer", "sake", "wine"}
    cities = page(analyst, "geography", level="province", format="csv").text.splitlines()
    assert cities[0].startswith("country,province,known,active_users") and len(cities) == 5
    cohorts = page(analyst, "cohorts", format="csv", periods=3).text.splitlines()
    assert cohorts[0].endswith("retention_0,retention_1,retention_2")


def test_a_product_name_cannot_close_the_chart_block(analyst: TestClient) -> None:
    res = page(analyst, "products", level="product")
    assert res.status_code == 200 and EVIL not in res.text
    names = chart_of(res.text)["data"][0]["y"]
    assert EVIL in names
    escaped = charts.to_json(charts.figure([], title=EVIL, x="&", y=">", lang="vi"))
    assert "<" not in escaped and json.loads(escaped)["layout"]["title"]["text"] == EVIL


HOSTILE = [
    ("geography", {"from": "2024-06-01' OR 1=1 --"}, "from"),
    ("geography", {"to": "99999-12-31"}, "to"),
    ("products", {"to": "9999-12-31"}, "to"),
    ("funnel", {"from": "2999-12-31"}, "from"),
    ("cohorts", {"from": "0001-01-01"}, "from"),
    ("affinity", {"from": "2024-07-01", "to": "2024-06-01"}, "from"),
    ("geography", {"segment": "x'; DROP TABLE events; --"}, "segment"),
    ("geography", {"segment": "no such segment"}, "segment"),
    ("products", {"segment": "s" * 500}, "segment"),
    ("geography", {"level": "region'--"}, "level"),
    ("products", {"limit": "1e309"}, "limit"),
    ("products", {"limit": "0"}, "limit"),
    ("affinity", {"min_support": "nan"}, "min_support"),
    ("affinity", {"item": "i" * 300}, "item"),
    ("cohorts", {"periods": "61"}, "periods"),
    ("funnel", {"by": "utm_source; SELECT 1"}, "by"),
    ("recommendations", {"to": "not a day"}, "to"),
]


@pytest.mark.parametrize(("report", "params", "field"), HOSTILE)
def test_hostile_filters_answer_400_at_the_field(
    analyst: TestClient, report: str, params: dict[str, str], field: str
) -> None:
    for fmt in ("html", "csv"):
        res = analyst.get(f"/reports/{report}", params={**params, "format": fmt, "lang": "vi"})
        assert res.status_code == 400, (params, res.text[:500])
        assert res.headers["content-type"].startswith("text/html")
        assert f'id="{field}-error"' in res.text and 'aria-invalid="true"' in res.text
        assert "data-plotly" not in res.text and "plotly.min.js" not in res.text


def test_unknown_report_is_404(analyst: TestClient) -> None:
    assert analyst.get("/reports/nope").status_code == 404


def test_a_viewer_may_not_see_reports(shop: Dashboard) -> None:
    shop.client.cookies.clear()
    client = shop.sign_in(Role.viewer)
    for path in ("/reports", "/reports/geography", "/reports/products?format=csv"):
        res = client.get(path)
        assert res.status_code == 403 and "<html" in res.text
    assert 'href="/reports"' not in client.get("/home").text


def test_signed_out_goes_to_login(dashboard: Dashboard) -> None:
    res = dashboard.client.get("/reports/geography")
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_recommendation_performance(dashboard: Dashboard, workspace: Workspace) -> None:
    """Recommendations trained and served through the API, then the page per placement."""
    client, auth = dashboard.client, bearer(workspace.secret_key)
    recommend_shop(client.app.state.ctx.store)  # type: ignore[attr-defined]
    consent = {"purposes": {"personalization": True}}
    assert client.put("/v1/profiles/p8/consent", json=consent, headers=auth).status_code == 200
    assert client.post("/v1/catalog/items", json={"items": CATALOG}, headers=auth).is_success
    trained = client.post("/v1/models/train", json={"models": ["recommend"]}, headers=auth)
    assert trained.json()[0]["status"] == "active", trained.text
    for placement in ("home", "home", "cart"):
        url = f"/v1/profiles/p8/recommendations?k=3&placement={placement}"
        assert client.get(url, headers=auth).status_code == 200
    client.headers.pop("authorization", None)
    dashboard.sign_in(Role.marketer)
    for lang in ("vi", "en"):
        res = client.get(f"/reports/recommendations?lang={lang}")
        assert res.status_code == 200 and f'<html lang="{lang}">' in res.text
        assert [r[:2] for r in table_rows(res.text)] == [["home", "2"], ["cart", "1"]]
        figure = chart_of(res.text)
        assert [t["x"] for t in figure["data"]] == [["home", "cart"]] * 2
        assert len(figure["data"]) == 2 and figure["layout"]["showlegend"]
    download = client.get("/reports/recommendations?format=csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert download.text.splitlines()[1].startswith("home,2,0,0.0,0,0.0")


def test_every_bad_field_is_marked_at_once(analyst: TestClient) -> None:
    res = page(analyst, "geography", **{"from": "2026-13-01", "segment": "nope", "level": "x"})
    assert res.status_code == 400
    for field in ("from", "segment", "level"):
        assert f'id="{field}-error"' in res.text
    assert '<option value="nope" selected>nope</option>' in res.text
    assert 'value="2026-13-01"' in res.text  # the form keeps what was typed
