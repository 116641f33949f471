"""CLV training on a generated shop: traits written, usable in segments, tiny data refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.predict.shop import NOW, Shop, build_shop
from tests.profiles.traits_data import event, load
from unicx.predict.clv import train
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    yield s
    s.close()


def _traits(store: Store) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with store.session() as s:
        for pid, name, value in s.fetchall(
            "SELECT profile_id, name, CAST(value AS DOUBLE) FROM model_traits WHERE model = 'clv'",
            step="t.traits",
        ):
            out.setdefault(str(pid), {})[str(name)] = float(value)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_clv_traits_rank_loyal_buyers_above_lapsed_ones(store: Store, workspace: Workspace) -> None:
    shop: Shop = build_shop(store, workspace.settings, people=250)
    result = train(store, workspace.settings, now=NOW)
    assert result.status == "active", result.message
    traits = _traits(store)
    buyers = {p for p, days in shop.orders.items() if days}
    assert set(traits) == buyers
    assert set(traits["c0000"]) == {
        "predicted_purchases_30d", "predicted_purchases_90d", "predicted_purchases_365d",
        "probability_alive", "expected_spend", "clv",
    }  # fmt: skip
    by = {g: [traits[p] for p in buyers if shop.group[p] == g] for g in ("loyal", "lapsing")}
    alive = {g: _mean([t["probability_alive"] for t in rows]) for g, rows in by.items()}
    purchases = {g: _mean([t["predicted_purchases_90d"] for t in rows]) for g, rows in by.items()}
    assert alive["loyal"] > alive["lapsing"] + 0.3
    # Loyal people order every ~20 days: about 4.5 in 90 days if they stay alive.
    assert 2.5 < purchases["loyal"] < 6.0
    assert purchases["lapsing"] < purchases["loyal"] / 3
    for t in traits.values():
        assert t["predicted_purchases_30d"] <= t["predicted_purchases_90d"]
        assert t["predicted_purchases_90d"] <= t["predicted_purchases_365d"]
        assert 0 <= t["probability_alive"] <= 1 and t["clv"] >= 0
        # 365 days of purchases x spend, discounted 1 % a month (purchases are rounded to 4
        # decimals: up to spend x 0.00005 off).
        undiscounted = t["predicted_purchases_365d"] * t["expected_spend"]
        slack = t["expected_spend"] * 1e-4 + 1
        assert undiscounted / 1.01**12 - slack <= t["clv"] <= undiscounted + slack
    # Predictive traits are ordinary traits for segments, with no change to the language.
    service = SegmentService(store, workspace.settings)
    preview = service.preview({"trait": "clv", "op": "gte", "value": 10_000_000}, now=NOW)
    expected = sum(1 for t in traits.values() if t["clv"] >= 10_000_000)
    assert preview.count == expected > 0
    with store.session() as s:
        row = s.fetchone("SELECT status, rows FROM models WHERE model = 'clv'", step="t.model")
    assert row == ("active", len(buyers))


def test_too_little_history_is_refused_and_keeps_the_previous_model(
    store: Store, workspace: Workspace
) -> None:
    build_shop(store, workspace.settings, people=250)
    first = train(store, workspace.settings, now=NOW)
    before = _traits(store)
    # Two years earlier nobody had bought yet: the run is refused, outputs stay.
    refused = train(store, workspace.settings, now=NOW - timedelta(days=730))
    assert refused.status == "rejected"
    assert "too little order history: 0 buyers" in refused.message
    assert _traits(store) == before
    with store.session() as s:
        rows = s.fetchall(
            "SELECT version, status FROM models WHERE model = 'clv' ORDER BY trained_at",
            step="t.models",
        )
    assert rows[-1] == (first.version, "active") or (first.version, "active") in rows
    assert ("rejected" in {r[1] for r in rows}) and len(rows) == 2


def test_empty_workspace_is_refused(store: Store, workspace: Workspace) -> None:
    result = train(store, workspace.settings, now=NOW)
    assert result.status == "rejected" and result.rows == 0
    assert "previous CLV traits kept" in result.message


def test_orders_with_impossible_values_are_left_out_and_reported(
    store: Store, workspace: Workspace
) -> None:
    build_shop(store, workspace.settings, people=120)
    clean = train(store, workspace.settings, now=NOW)
    hostile = [
        event("track", "2024-06-29 10:00", user_id="c0000", event="Order Completed",
              properties={"order_id": f"bad-{i}", "revenue": revenue, "currency": "VND"})
        for i, revenue in enumerate(["NaN", "Infinity", "-5000000", "1e400"])
    ]  # fmt: skip
    load(store, hostile, {})
    result = train(store, workspace.settings, now=NOW + timedelta(seconds=1))
    assert result.status == "active" and result.metrics["orders_excluded"] == 4
    assert clean.metrics["orders_excluded"] == 0
    # Same fit as without them: the bad orders added no purchase day and no spend.
    assert result.metrics["bgnbd"] == clean.metrics["bgnbd"]
    assert result.metrics["gamma_gamma"] == clean.metrics["gamma_gamma"]
    assert all(all(v == v for v in t.values()) for t in _traits(store).values())  # no NaN
