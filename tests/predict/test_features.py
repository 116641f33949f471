"""Behavioural features at a cutoff, checked by hand on three people (and one who comes later).

CUT is 2024-06-30 12:00 Ho Chi Minh City.

- ana: orders 40 d (100,000, tea) and 10 d (50,000, coffee) before CUT, a page view 5 d before;
  after CUT an order of 999,000 and a page view (both must be ignored). Also an identify with
  a sensitive trait (religion), which must never become a feature.
- ben: order 200 d before (300,000, tea, quantity 3), viewed and added a product 20 d before, an
  order in USD 3 d before (another currency: ignored).
- cam: page views 2 d before and 1 h after CUT (only the first counts), no order.
- dan: only events after CUT: not in the table.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.profiles.traits_data import WEB, event, load, vn
from unicx.predict.features import Features, feature_table
from unicx.store import Store
from unicx.workspace import open_store

CUT = vn("2024-06-30 12:00")


def at(days: float) -> str:
    """``days`` before CUT (negative: after), as local wall-clock text."""
    return (CUT - timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


def order(
    who: str, days: float, value: int, category: str, *, qty: int = 1, cur: str = "VND"
) -> Any:
    props = {"order_id": f"{who}-{days}", "revenue": value, "currency": cur,
             "products": [{"product_id": f"sku-{category}", "category": category,
                           "price": value / qty, "quantity": qty}]}  # fmt: skip
    return event("track", at(days), user_id=who, event="Order Completed", properties=props)


def track(who: str, days: float, name: str) -> Any:
    props = {"product_id": "sku-tea", "category": "tea"}
    return event("track", at(days), user_id=who, event=name, properties=props, context=WEB)


def page(who: str, days: float) -> Any:
    return event("page", at(days), user_id=who, context=WEB, device_type="mobile")


@pytest.fixture
def features(workspace: Workspace) -> Iterator[Features]:
    store: Store = open_store(workspace.settings)
    events = [
        order("ana", 40, 100_000, "tea"), order("ana", 10, 50_000, "coffee"), page("ana", 5),
        order("ana", -1, 999_000, "tea"), page("ana", -2),
        event("identify", at(50), user_id="ana", traits={"religion": "secret"}),
        order("ben", 200, 300_000, "tea", qty=3), track("ben", 20, "Product Viewed"),
        track("ben", 20, "Product Added"), order("ben", 3, 70, "tea", cur="USD"),
        page("cam", 2), page("cam", -1 / 24),
        page("dan", -3), order("dan", -3, 10_000, "tea"),
    ]  # fmt: skip
    ids = {p: [("user_id", p)] for p in ("ana", "ben", "cam", "dan")}
    load(store, events, ids)
    with store.session() as s:
        yield feature_table(s, workspace.settings, cutoff=CUT)
    store.close()


def _row(f: Features, who: str) -> dict[str, float]:
    i = list(f.ids).index(who)
    return dict(zip(f.names, f.matrix[i].tolist(), strict=True))


def test_only_people_seen_before_the_cutoff(features: Features) -> None:
    assert list(features.ids) == ["ana", "ben", "cam"]


def test_orders_and_money_ignore_later_events_and_other_currencies(features: Features) -> None:
    ana, ben, cam = (_row(features, p) for p in ("ana", "ben", "cam"))
    assert (ana["orders_all"], ana["revenue_all"]) == (2, 150_000)
    assert (ana["orders_30d"], ana["revenue_30d"]) == (1, 50_000)
    assert (ana["orders_90d"], ana["revenue_90d"]) == (2, 150_000)
    assert ana["average_order_value"] == 75_000
    assert (ana["days_since_last_order"], ana["days_since_first_order"]) == (10, 40)
    assert (ben["orders_all"], ben["revenue_all"], ben["orders_365d"]) == (1, 300_000, 1)
    assert (ben["orders_90d"], ben["revenue_90d"]) == (0, 0)
    assert ben["days_since_last_order"] == 200  # the USD order 3 days ago does not count
    assert cam["orders_all"] == 0 and math.isnan(cam["days_since_last_order"])


def test_categories_products_and_shares(features: Features) -> None:
    ana, ben = _row(features, "ana"), _row(features, "ben")
    # tea (4 units: ana 1 + ben 3) ranks first, coffee second.
    assert (ana["categories_bought"], ana["products_bought"]) == (2, 2)
    assert ana["share_top1"] == pytest.approx(100 / 150)
    assert ana["share_top2"] == pytest.approx(50 / 150)
    assert (ben["share_top1"], ben["share_top2"], ben["categories_bought"]) == (1, 0, 1)


def test_activity_windows_and_recency(features: Features) -> None:
    ana, ben, cam = (_row(features, p) for p in ("ana", "ben", "cam"))
    assert (ana["page_views_30d"], ana["sessions_30d"], ana["mobile_share"]) == (1, 1, 1)
    assert ana["days_since_last_activity"] == 5
    assert ana["days_since_first_seen"] == 50
    assert (ben["product_views_30d"], ben["cart_adds_30d"], ben["page_views_30d"]) == (1, 1, 0)
    # ben's tracked view and add are one web visit 20 days ago; the USD order is server-side.
    assert (ben["sessions_30d"], ben["days_since_last_activity"]) == (1, 3)
    assert (cam["page_views_30d"], cam["page_views_90d"], cam["days_since_last_activity"]) == (
        1,
        1,
        2,
    )


def test_no_trait_ever_becomes_a_feature(features: Features) -> None:
    # Features are behaviour only: the religion trait ana told us is nowhere among them.
    assert not any("religion" in n or "trait" in n for n in features.names)
    assert len(features.names) == len(set(features.names)) == features.matrix.shape[1]
    assert features.names[:2] == ["orders_all", "revenue_all"]
