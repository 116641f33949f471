"""Built-in computed traits and profile traits, checked against values worked out by hand.

Fixture clock: "now" is 2024-06-30 12:00 in Asia/Ho_Chi_Minh (UTC+7), so "today" is
2024-06-30 and the 30/90/365-day windows start after 2024-05-31, 2024-04-01 and 2023-07-01.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Workspace
from tests.profiles.traits_data import APP, SERVER, WEB, computed, event, load, profile_traits, vn
from unicx.profiles.traits import refresh_traits, run_refresh
from unicx.store import Store
from unicx.workspace import open_store

NOW = vn("2024-06-30 12:00")


def _an() -> list[dict[str, Any]]:
    """p-an: a web + app shopper with two tracked orders, a partial refund, a USD order."""
    web = {"context": WEB, "device_type": "desktop"}
    return [
        event("identify", "2024-01-10 09:00", user_id="u-an", context=WEB,
              traits={"email": "an@x.vn", "first_name": "An", "plan": "free"}),
        event("page", "2024-01-10 09:05", anonymous_id="a-an-web", local_hour=9, **web),
        event("page", "2024-01-10 09:20", anonymous_id="a-an-web", local_hour=9, **web),
        event("page", "2024-01-10 10:00", anonymous_id="a-an-web", local_hour=10, **web),
        event("track", "2024-01-10 10:05", user_id="u-an", event="Order Completed",
              local_hour=10, properties={
                  "order_id": "T1", "revenue": 300000, "total": 330000, "currency": "VND",
                  "products": [
                      {"sku": "A", "category": "whisky", "price": 100000, "quantity": 2},
                      {"sku": "B", "category": "wine", "price": 100000, "quantity": 1},
                  ]}, **web),
        event("identify", "2024-06-01 20:00", user_id="u-an", context=APP,
              traits={"plan": "gold", "first_name": None}),
        event("screen", "2024-06-01 20:10", anonymous_id="a-an-app", device_type="mobile",
              local_hour=20, context={**APP, "sessionId": 111}),
        event("screen", "2024-06-01 20:12", anonymous_id="a-an-app", device_type="mobile",
              local_hour=20, context={**APP, "sessionId": 111}),
        event("track", "2024-06-01 20:15", user_id="u-an", event="Order Completed",
              device_type="mobile", local_hour=20, context={**APP, "sessionId": 111},
              properties={"order_id": "T2", "total": 500000, "products": [
                  {"sku": "A", "category": "whisky", "price": 250000, "quantity": 2}]}),
        event("track", "2024-06-05 08:00", user_id="u-an", event="Order Refunded",
              context=SERVER, properties={"order_id": "T2", "revenue": 100000}),
        event("track", "2024-06-20 15:00", user_id="u-an", event="Order Completed",
              local_hour=15, properties={"order_id": "T3", "revenue": 50, "currency": "USD"},
              **web),
    ]  # fmt: skip


def _line(at: str, order_id: str, category: str, quantity: int, price: int) -> dict[str, Any]:
    props = {
        "order_id": order_id, "currency": "VND", "sku": f"{category}-1", "category": category,
        "quantity": quantity, "price": price, "line_total": quantity * price,
        "products": [{"sku": f"{category}-1", "category": category, "quantity": quantity,
                      "price": price}],
    }  # fmt: skip
    return event("track", at, user_id="u-binh", event="Order Completed", context=SERVER,
                 properties=props)  # fmt: skip


def _binh() -> list[dict[str, Any]]:
    """p-binh: imported order lines (one with a returned line) and one web session."""
    session = {**WEB, "sessionId": "s-b1"}
    return [
        _line("2024-03-01 10:00", "B2", "tea", 2, 200000),
        _line("2024-03-01 10:00", "B2", "tea", -1, 200000),
        _line("2024-06-25 14:00", "B1", "rice", 3, 50000),
        _line("2024-06-25 14:00", "B1", "tea", 1, 200000),
        event("page", "2024-06-25 13:50", anonymous_id="a-binh", context=session),
        event("track", "2024-06-25 13:55", anonymous_id="a-binh", event="Product Viewed",
              context=session),
    ]  # fmt: skip


def _chi() -> list[dict[str, Any]]:
    """p-chi: a late-night mobile browser visitor who never ordered."""
    mobile = {"device_type": "mobile", "anonymous_id": "a-chi"}
    return [
        event("page", "2024-06-29 23:30", local_hour=23, context=WEB, **mobile),
        event("page", "2024-06-29 23:50", local_hour=23, **mobile,
              context={**WEB, "traits": {"city": "Hà Nội"}}),
        event("page", "2024-06-30 00:40", local_hour=0, context=WEB, **mobile),
    ]  # fmt: skip


def _dung() -> list[dict[str, Any]]:
    """p-dung: one order, refunded in full (a refund without an amount)."""
    return [
        event("track", "2024-05-01 10:00", user_id="u-dung", event="Order Completed",
              context=SERVER, properties={"order_id": "D1", "total": 100000}),
        event("track", "2024-05-03 10:00", user_id="u-dung", event="Order Refunded",
              context=SERVER, properties={"order_id": "D1"}),
    ]  # fmt: skip


IDENTITIES = {
    "p-an": [("user_id", "u-an"), ("anonymous_id", "a-an-web"), ("anonymous_id", "a-an-app")],
    "p-binh": [("user_id", "u-binh"), ("anonymous_id", "a-binh")],
    "p-chi": [("anonymous_id", "a-chi")],
    "p-dung": [("user_id", "u-dung")],
}


@pytest.fixture
def store(workspace: Workspace) -> Store:
    store = open_store(workspace.settings)
    load(store, _an() + _binh() + _chi() + _dung(), IDENTITIES)
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
    return store


def test_tracked_orders_sessions_and_habits(store: Store) -> None:
    assert computed(store, "p-an") == {
        "first_seen": "2024-01-10T02:00:00.000Z",  # identify 09:00 local = 02:00 UTC
        "last_seen": "2024-06-20T08:00:00.000Z",  # the USD order, 15:00 local
        # web, no sessionId: 09:05, 09:20 (+15 min), 10:00 (+40 min: new), 10:05 -> 2, the
        # 2024-06-20 web order -> 3; app events share sessionId 111 -> 4; refund is server-side.
        "sessions": 4,
        "page_views": 5,  # 3 pages + 2 screens
        # T1 300000 (revenue beats total), T2 total 500000 - refund 100000; T3 is USD: ignored
        "orders_count": 2,
        "revenue": 700000.0,
        "average_order_value": 350000.0,
        "first_order_at": "2024-01-10T03:05:00.000Z",
        "last_order_at": "2024-06-01T13:15:00.000Z",
        "days_since_last_order": 29,  # 2024-06-01 -> 2024-06-30
        "spend_30d": 400000.0,  # T2 (2024-06-01 is after 2024-05-31)
        "spend_90d": 400000.0,
        "spend_365d": 700000.0,
        # two buyers: recency bounds 9.8..24.2 -> 29 scores 1; frequency bounds all 2 -> 1;
        # monetary bounds 580000..670000 -> 700000 scores 5; FM = (1+5+1)//2 = 3 -> At Risk
        "rfm_recency_score": 1,
        "rfm_frequency_score": 1,
        "rfm_monetary_score": 5,
        "rfm_score": "115",
        "rfm_segment": "At Risk",
        "favourite_category": "whisky",  # 2 (T1) + 2 (T2) vs wine 1
        "preferred_channel": "web",  # 3 pages + 2 web orders vs 2 screens + 1 app order
        "preferred_device": "desktop",  # 5 desktop vs 3 mobile
        "time_of_day": "morning",  # hours 9, 9, 10, 10 vs 15 vs 20, 20, 20
    }


def test_imported_order_lines(store: Store) -> None:
    assert computed(store, "p-binh") == {
        "first_seen": "2024-03-01T03:00:00.000Z",
        "last_seen": "2024-06-25T07:00:00.000Z",
        "sessions": 1,  # sessionId s-b1; imported lines come from a server library
        "page_views": 1,
        # B2: 400000 - 200000 (returned line) = 200000; B1: 150000 + 200000 = 350000
        "orders_count": 2,
        "revenue": 550000.0,
        "average_order_value": 275000.0,
        "first_order_at": "2024-03-01T03:00:00.000Z",
        "last_order_at": "2024-06-25T07:00:00.000Z",
        "days_since_last_order": 5,
        "spend_30d": 350000.0,
        "spend_90d": 350000.0,  # 2024-03-01 is before 2024-04-01
        "spend_365d": 550000.0,
        # recency 5 < every bound -> 5; frequency 1; monetary 550000 < 580000 -> 1; FM 1
        "rfm_recency_score": 5,
        "rfm_frequency_score": 1,
        "rfm_monetary_score": 1,
        "rfm_score": "511",
        "rfm_segment": "New Customers",
        "favourite_category": "rice",  # rice 3 vs tea 2 + 1 - 1 = 2
        "preferred_channel": "web",
        "time_of_day": "afternoon",  # no local_hour: 13:50 and 13:55 in the workspace zone
    }


def test_visitor_without_orders(store: Store) -> None:
    assert computed(store, "p-chi") == {
        "first_seen": "2024-06-29T16:30:00.000Z",
        "last_seen": "2024-06-29T17:40:00.000Z",
        "sessions": 2,  # 23:30, 23:50 (+20 min), 00:40 (+50 min: new)
        "page_views": 3,
        "orders_count": 0,
        "revenue": 0.0,
        "spend_30d": 0.0,
        "spend_90d": 0.0,
        "spend_365d": 0.0,
        "preferred_channel": "web",
        "preferred_device": "mobile",
        "time_of_day": "night",  # hours 23, 23, 0
    }


def test_full_refund_leaves_no_order(store: Store) -> None:
    traits = computed(store, "p-dung")
    assert traits["orders_count"] == 0
    assert traits["revenue"] == 0.0
    assert "rfm_segment" not in traits and "last_order_at" not in traits
    assert "sessions" in traits and traits["sessions"] == 0  # server-side events only


def test_profile_traits_latest_value_wins_and_null_keeps(store: Store) -> None:
    # plan: "free" (January) then "gold" (June); first_name null in June does not erase "An"
    assert profile_traits(store, "p-an") == {"email": "an@x.vn", "first_name": "An", "plan": "gold"}
    assert profile_traits(store, "p-chi") == {"city": "Hà Nội"}  # from context.traits
    assert profile_traits(store, "p-binh") == {}


def test_report_counts_rows(store: Store, workspace: Workspace) -> None:
    with store.session() as s, s.transaction():
        report = run_refresh(s, workspace.settings, None, now=NOW)
    # p-an 22 (all) + p-binh 21 (no device) + p-chi 12 + p-dung 9 computed; 3 + 1 profile traits
    assert (report.computed_rows, report.trait_rows, report.custom_rows) == (64, 4, 0)
    assert set(report.steps) == {"select events", "profile traits", "computed traits", "search"}


def test_typed_wide_view(store: Store) -> None:
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT profile_id, revenue, orders_count, first_seen, rfm_segment, "
            "average_order_value FROM profile_computed ORDER BY profile_id",
            step="test.wide",
        )
    by_id = {r.pop("profile_id"): r for r in rows}
    assert set(by_id) == {"p-an", "p-binh", "p-chi", "p-dung"}
    an = by_id["p-an"]
    assert (an["revenue"], an["orders_count"], an["rfm_segment"]) == (700000.0, 2, "At Risk")
    assert an["first_seen"] == vn("2024-01-10 09:00")
    assert by_id["p-chi"]["average_order_value"] is None
