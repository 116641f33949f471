"""Every report against numbers worked out by hand from the shop in tests/reports/data.py.

June 2024 is ``from=2024-06-01, to=2024-07-01`` (local days, ``to`` exclusive).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workspace
from unicx.config import load_settings
from unicx.reports import service
from unicx.reports.models import Report
from unicx.reports.scope import Window
from unicx.store import Store

JUNE = {"start": date(2024, 6, 1), "end": date(2024, 7, 1)}
NOW = datetime.fromisoformat("2024-07-15T12:00:00+07:00")


def rows(report: Report, *keys: str) -> list[dict[str, Any]]:
    dumped = [r.model_dump() for r in report.rows]
    return [{k: r[k] for k in keys} for r in dumped] if keys else dumped


def test_geography_by_country(shop: Store, workspace: Workspace) -> None:
    report = service.geography(shop, workspace.settings, **JUNE)
    assert rows(report) == [
        # an, binh, chi, em; an T1 500k + T2 300k, binh T3 300k - 100k refunded; em's USD
        # order is ignored
        {"country": "Vietnam", "city": None, "active_users": 4, "buyers": 2, "orders": 3,
         "revenue": 1_000_000.0, "revenue_per_user": 250_000.0, "revenue_per_buyer": 500_000.0,
         "average_order_value": 333_333.33, "conversion": 0.5},
        # dung: 600k of lines, one 150k line returned (an Order Refunded with revenue -150k)
        {"country": "Singapore", "city": None, "active_users": 1, "buyers": 1, "orders": 1,
         "revenue": 450_000.0, "revenue_per_user": 450_000.0, "revenue_per_buyer": 450_000.0,
         "average_order_value": 450_000.0, "conversion": 1.0},
    ]  # fmt: skip
    assert report.params.from_ == date(2024, 6, 1) and report.params.to == date(2024, 7, 1)
    assert (report.params.timezone, report.params.currency) == ("Asia/Ho_Chi_Minh", "VND")


def test_geography_by_city_uses_the_latest_place(shop: Store, workspace: Workspace) -> None:
    report = service.geography(shop, workspace.settings, level="city", **JUNE)
    # an's first page was in Đà Nẵng, every later event in Hà Nội
    assert rows(report, "country", "city", "active_users", "buyers", "revenue", "conversion") == [
        {"country": "Vietnam", "city": "Hà Nội", "active_users": 3, "buyers": 1,
         "revenue": 800_000.0, "conversion": pytest.approx(1 / 3)},
        {"country": "Singapore", "city": "Singapore", "active_users": 1, "buyers": 1,
         "revenue": 450_000.0, "conversion": 1.0},
        {"country": "Vietnam", "city": "TP. Hồ Chí Minh", "active_users": 1, "buyers": 1,
         "revenue": 200_000.0, "conversion": 1.0},
    ]  # fmt: skip


def test_segment_by_id_or_name(shop: Store, workspace: Workspace) -> None:
    by_id = service.geography(shop, workspace.settings, segment="seg-vip", **JUNE)
    by_name = service.geography(shop, workspace.settings, segment="VIP", **JUNE)
    assert by_id.rows == by_name.rows and by_name.params.segment == "seg-vip"
    assert rows(by_id, "country", "active_users", "orders", "revenue") == [
        {"country": "Vietnam", "active_users": 1, "orders": 2, "revenue": 800_000.0},
        {"country": "Singapore", "active_users": 1, "orders": 1, "revenue": 450_000.0},
    ]


def test_products_by_category(shop: Store, workspace: Workspace) -> None:
    report = service.products(shop, workspace.settings, **JUNE)
    assert report.params.previous_from == date(2024, 5, 2)  # 30 days before June 1
    assert rows(report) == [
        # T1 300k, T2 300k, dung's line 300k; viewed by an and chi
        {"item": "sake", "name": None, "category": "sake", "views": 2, "adds": 0,
         "buyers": 2, "units": 3.0, "orders": 3, "revenue": 900_000.0,
         "previous_revenue": 0.0, "growth": None},
        # T1 2x100k, T3 3x100k (T3's partial refund names no line); May: em's 100k
        {"item": "beer", "name": None, "category": "beer", "views": 2, "adds": 2,
         "buyers": 2, "units": 5.0, "orders": 2, "revenue": 500_000.0,
         "previous_revenue": 100_000.0, "growth": 4.0},
        # 2 x 150k imported, one returned
        {"item": "wine", "name": None, "category": "wine", "views": 0, "adds": 0,
         "buyers": 1, "units": 1.0, "orders": 1, "revenue": 150_000.0,
         "previous_revenue": 0.0, "growth": None},
    ]  # fmt: skip


def test_products_by_product(shop: Store, workspace: Workspace) -> None:
    report = service.products(shop, workspace.settings, level="product", **JUNE)
    assert rows(report, "item", "name", "category", "views", "buyers", "revenue") == [
        {"item": "S1", "name": "Sake Dassai", "category": "sake", "views": 2, "buyers": 2,
         "revenue": 900_000.0},
        {"item": "B1", "name": "Bia Saigon", "category": "beer", "views": 2, "buyers": 2,
         "revenue": 500_000.0},
        # imported lines name the product in product_name
        {"item": "W1", "name": "Vang Đà Lạt", "category": "wine", "views": 0, "buyers": 1,
         "revenue": 150_000.0},
    ]  # fmt: skip


def test_affinity_by_category(shop: Store, workspace: Workspace) -> None:
    # Buyers in June: an {beer, sake}, binh {beer}, dung {sake, wine (1 kept)}: 3.
    report = service.affinity(shop, workspace.settings, min_count=1, min_support=0, **JUNE)
    assert report.params.buyers == 3
    assert rows(report) == [
        # P(sake)=2/3, P(wine)=1/3, P(beer)=2/3; wine->sake: conf 1, lift 1/(2/3)=1.5
        {"item_a": "sake", "name_a": None, "item_b": "wine", "name_b": None, "buyers_a": 2,
         "buyers_b": 1, "buyers_both": 1, "support": pytest.approx(1 / 3), "confidence": 0.5,
         "lift": 1.5},
        {"item_a": "wine", "name_a": None, "item_b": "sake", "name_b": None, "buyers_a": 1,
         "buyers_b": 2, "buyers_both": 1, "support": pytest.approx(1 / 3), "confidence": 1.0,
         "lift": 1.5},
        {"item_a": "beer", "name_a": None, "item_b": "sake", "name_b": None, "buyers_a": 2,
         "buyers_b": 2, "buyers_both": 1, "support": pytest.approx(1 / 3), "confidence": 0.5,
         "lift": 0.75},
        {"item_a": "sake", "name_a": None, "item_b": "beer", "name_b": None, "buyers_a": 2,
         "buyers_b": 2, "buyers_both": 1, "support": pytest.approx(1 / 3), "confidence": 0.5,
         "lift": 0.75},
    ]  # fmt: skip


def test_affinity_filters(shop: Store, workspace: Workspace) -> None:
    settings = workspace.settings
    strict = service.affinity(shop, settings, **JUNE)  # default min_count 2: no pair
    assert strict.rows == [] and strict.params.buyers == 3
    from_sake = service.affinity(shop, settings, item="sake", min_count=1, **JUNE)
    assert [(r.item_a, r.item_b) for r in from_sake.rows] == [("sake", "wine"), ("sake", "beer")]
    products = service.affinity(shop, settings, level="product", min_count=1, item="B1", **JUNE)
    assert rows(products, "item_b", "name_a", "name_b", "lift") == [
        {"item_b": "S1", "name_a": "Bia Saigon", "name_b": "Sake Dassai", "lift": 0.75}
    ]
    vip = service.affinity(shop, settings, segment="VIP", min_count=1, **JUNE)
    # an {beer, sake}, dung {sake, wine}: beer->sake conf 1, P(sake)=1 -> lift 1
    assert vip.params.buyers == 2
    assert {(r.item_a, r.item_b): r.lift for r in vip.rows} == {
        ("beer", "sake"): 1.0, ("sake", "beer"): 1.0, ("sake", "wine"): 1.0,
        ("wine", "sake"): 1.0,
    }  # fmt: skip


FUNNEL = [
    # everyone has a page in June
    {"step": 1, "stage": "awareness", "people": 5, "conversion_from_previous": None,
     "conversion_from_first": 1.0, "drop_off": None, "median_seconds_from_previous": None},
    # an +300 s, binh +60 s, chi +180 s
    {"step": 2, "stage": "interest", "people": 3, "conversion_from_previous": 0.6,
     "conversion_from_first": 0.6, "drop_off": 2, "median_seconds_from_previous": 180.0},
    # an +300 s, binh +60 s
    {"step": 3, "stage": "intent", "people": 2, "conversion_from_previous": pytest.approx(2 / 3),
     "conversion_from_first": 0.4, "drop_off": 1, "median_seconds_from_previous": 180.0},
    # an +600 s, binh +480 s (dung's and em's orders come without interest)
    {"step": 4, "stage": "purchase", "people": 2, "conversion_from_previous": 1.0,
     "conversion_from_first": 0.4, "drop_off": 0, "median_seconds_from_previous": 540.0},
    # an again on June 10 10:30: 9 days 1 h 10 min after June 1 09:20
    {"step": 5, "stage": "retention", "people": 1, "conversion_from_previous": 0.5,
     "conversion_from_first": 0.2, "drop_off": 1, "median_seconds_from_previous": 781_800.0},
]  # fmt: skip


def test_funnel_default_stages(shop: Store, workspace: Workspace) -> None:
    report = service.funnel(shop, workspace.settings, **JUNE)
    assert rows(report, *FUNNEL[0]) == FUNNEL
    assert {r.group for r in report.rows} == {None}
    assert report.params.stages_source == "default"
    assert [s.name for s in report.params.stages][-1] == "retention"


def test_funnel_by_first_touch_source(shop: Store, workspace: Workspace) -> None:
    report = service.funnel(shop, workspace.settings, by="utm_source", **JUNE)
    people = {(r.group, r.stage): r.people for r in report.rows}
    assert [people[(None, s)] for s in ("awareness", "interest", "intent")] == [3, 1, 0]
    assert [people[("google", s)] for s in ("awareness", "purchase", "retention")] == [1, 1, 1]
    assert [people[("facebook", s)] for s in ("awareness", "purchase", "retention")] == [1, 1, 0]
    # the group with most people first, then by name
    assert [r.group for r in report.rows[::5]] == [None, "facebook", "google"]
    channel = service.funnel(shop, workspace.settings, by="channel", **JUNE)
    assert {r.group for r in channel.rows} == {"web"}  # first events are all web pages


def test_funnel_from_workspace_file(shop: Store, workspace: Workspace) -> None:
    (workspace.path / "funnel.yaml").write_text(
        "stages:\n"
        "  - name: visit\n    types: [page]\n"
        "  - name: buy\n    events: [Order Completed]\n"
        "  - name: buy again\n    events: [Order Completed]\n    min_count: 2\n",
        encoding="utf-8",
    )
    report = service.funnel(shop, workspace.settings, **JUNE)
    # buy: an, binh, dung (imported lines at 12:00 after the 10:00 page), em (USD 06-03 after
    # the 06-02 page); again: an only (dung's two lines share one instant)
    people = [(r.stage, r.people) for r in report.rows]
    assert people == [("visit", 5), ("buy", 4), ("buy again", 1)]
    assert report.params.stages_source == "funnel.yaml"


def test_cohorts_by_first_purchase_month(shop: Store, workspace: Workspace) -> None:
    report = service.cohorts(
        shop, workspace.settings, start=date(2024, 5, 1), end=date(2024, 7, 1), periods=3, now=NOW
    )
    assert rows(report) == [
        # em: May 20, again July 5 (nothing in June)
        {"cohort": date(2024, 5, 1), "size": 1, "active": [1, 0, 1], "retention": [1.0, 0.0, 1.0]},
        # an, binh, dung; August has not started on July 15
        {"cohort": date(2024, 6, 1), "size": 3, "active": [3, 0, None],
         "retention": [1.0, 0.0, None]},
    ]  # fmt: skip


def test_cohorts_by_first_seen_week(shop: Store, workspace: Workspace) -> None:
    report = service.cohorts(
        shop, workspace.settings, by="first_seen", period="week", periods=3, now=NOW,
        start=date(2024, 6, 1), end=date(2024, 6, 16),
    )  # fmt: skip
    assert rows(report) == [
        # an (first June 1, week of May 27), again June 10
        {"cohort": date(2024, 5, 27), "size": 1, "active": [1, 0, 1], "retention": [1.0, 0.0, 1.0]},
        # binh (June 5; the refund on June 7 is the same week)
        {"cohort": date(2024, 6, 3), "size": 1, "active": [1, 0, 0], "retention": [1.0, 0.0, 0.0]},
        # chi (June 12) and dung (June 15; the returned line on June 20 is a week later);
        # chi's page of May 31 23:59 makes June 12 not her first: she is not in the range
        {"cohort": date(2024, 6, 10), "size": 1, "active": [1, 1, 0],
         "retention": [1.0, 1.0, 0.0]},
    ]  # fmt: skip


def test_default_range_is_the_last_30_days(shop: Store, workspace: Workspace) -> None:
    report = service.geography(shop, workspace.settings, now=datetime.fromisoformat(
        "2024-06-30T23:30:00+07:00"))  # fmt: skip
    assert (report.params.from_, report.params.to) == (date(2024, 6, 1), date(2024, 7, 1))
    cohorts = service.cohorts(shop, workspace.settings, periods=2, now=NOW)
    assert (cohorts.params.from_, cohorts.params.to) == (date(2024, 6, 1), date(2024, 7, 16))


def test_empty_range_gives_empty_reports(shop: Store, workspace: Workspace) -> None:
    quiet = {"start": date(2023, 1, 1), "end": date(2023, 2, 1)}
    settings = workspace.settings
    assert service.geography(shop, settings, **quiet).rows == []
    assert service.products(shop, settings, **quiet).rows == []
    assert service.affinity(shop, settings, **quiet).params.buyers == 0
    funnel = service.funnel(shop, settings, **quiet)
    assert [(r.stage, r.people) for r in funnel.rows][:2] == [("awareness", 0), ("interest", 0)]
    assert service.cohorts(shop, settings, **quiet).rows == []


def test_csv_form(shop: Store, workspace: Workspace, tmp_path: Path) -> None:
    geo = service.geography(shop, workspace.settings, **JUNE).csv().splitlines()
    assert geo[0] == (
        "country,city,active_users,buyers,orders,revenue,revenue_per_user,revenue_per_buyer,"
        "average_order_value,conversion"
    )
    assert geo[2] == "Singapore,,1,1,1,450000.0,450000.0,450000.0,450000.0,1.0"
    cohorts = service.cohorts(
        shop, workspace.settings, start=date(2024, 5, 1), end=date(2024, 7, 1), periods=3, now=NOW
    ).csv()
    assert cohorts.splitlines() == [
        "cohort,size,active_0,active_1,active_2,retention_0,retention_1,retention_2",
        "2024-05-01,1,1,0,1,1.0,0.0,1.0",
        "2024-06-01,3,3,0,,1.0,0.0,",
    ]


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Berlin"])
def test_cohort_weeks_with_and_without_daylight_saving(
    shop: Store, workspace: Workspace, zone: str
) -> None:
    # Spring 2024 crosses Berlin's switch to summer time: weeks are bucketed by the time zone
    # conversion there, by a fixed offset in Ho Chi Minh City; no event is near midnight in
    # either, so the cohorts agree.
    settings = load_settings(workspace=workspace.path, timezone=zone)
    report = service.cohorts(
        shop, settings, by="first_seen", period="week", periods=3, now=NOW,
        start=date(2024, 3, 1), end=date(2024, 6, 16),
    )  # fmt: skip
    assert rows(report, "cohort", "size", "active") == [
        {"cohort": date(2024, 5, 20), "size": 1, "active": [1, 1, 1]},  # em
        {"cohort": date(2024, 5, 27), "size": 2, "active": [2, 0, 2]},  # an, chi
        {"cohort": date(2024, 6, 3), "size": 1, "active": [1, 0, 0]},  # binh
        {"cohort": date(2024, 6, 10), "size": 1, "active": [1, 1, 0]},  # dung
    ]


def test_fixed_offset_detection(workspace: Workspace) -> None:
    def offset(zone: str, first: date, last: date) -> int | None:
        settings = load_settings(workspace=workspace.path, timezone=zone)
        return Window(first, last, None, settings).fixed_offset_us(first, last)

    assert offset("Asia/Ho_Chi_Minh", date(2024, 1, 1), date(2026, 1, 1)) == 7 * 3600 * 10**6
    assert offset("Europe/Berlin", date(2024, 1, 1), date(2024, 2, 1)) == 3600 * 10**6
    assert offset("Europe/Berlin", date(2024, 1, 1), date(2024, 6, 1)) is None
    assert offset("Asia/Ho_Chi_Minh", date(1970, 1, 1), date(2024, 1, 1)) is None  # +8 until 1975


def test_funnel_of_ten_stages(shop: Store, workspace: Workspace) -> None:
    stages = [{"name": "visit", "types": ["page"]}] + [
        {"name": f"view {n}", "events": ["Product Viewed"], "min_count": n} for n in range(1, 9)
    ]
    stages.append({"name": "buy", "events": ["Order Completed"]})
    (workspace.path / "funnel.yaml").write_text(json.dumps({"stages": stages}), encoding="utf-8")
    report = service.funnel(shop, workspace.settings, **JUNE)
    # an viewed twice after her first page (beer, then sake), binh and chi once
    assert [r.people for r in report.rows] == [5, 3, 1, 0, 0, 0, 0, 0, 0, 0]
