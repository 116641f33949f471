"""Churn propensity on the generated shop (tests/predict/shop.py), whose churners are planted.

With a 90-day horizon at NOW: loyal people order every 10-30 days and never churn; lapsing
people stopped 100-300 days ago, so every one of them churned in the last 90 days.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from tests.conftest import Workspace
from tests.predict.shop import NOW, Shop, build_shop
from tests.profiles.traits_data import event, load
from unicx.predict.churn import band, train
from unicx.segments.models import SegmentCreate
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    yield s
    s.close()


def _traits(store: Store) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with store.session() as s:
        rows = s.fetchall(
            "SELECT profile_id, name, value, model_version FROM model_traits WHERE model = 'churn'",
            step="t.churn",
        )
    for pid, name, value, version in rows:
        out.setdefault(str(pid), {"version": version})[str(name)] = json.loads(value)
    return out


def _runs(store: Store) -> list[tuple[str, str]]:
    with store.session() as s:
        rows = s.fetchall(
            "SELECT status, message FROM models WHERE model = 'churn' ORDER BY trained_at",
            step="t.runs",
        )
    return [(str(a), str(b)) for a, b in rows]


def test_planted_churners_are_found_and_scored(store: Store, workspace: Workspace) -> None:
    shop: Shop = build_shop(store, workspace.settings, people=300)
    result = train(store, workspace.settings, now=NOW)
    assert result.status == "active", result.message
    m = result.metrics
    # Loyal vs lapsed is nearly separable by behaviour: far above chance, not a flaky margin.
    assert m["auc"] >= 0.9
    assert m["brier"] < m["baseline_brier"] / 2
    assert sum(b["count"] for b in m["reliability"]) == m["test_examples"]
    assert m["calibration"] == "sigmoid" and m["train_examples"] >= 100
    traits = _traits(store)
    # Everyone with an order in the look-back (the history before the train cutoff) is scored.
    assert 180 <= m["lookback_days"] <= 200
    buyers = {p for p, days in shop.orders.items() if days and min(days) < m["lookback_days"]}
    assert set(traits) == buyers and result.rows == len(buyers)
    for t in traits.values():
        assert 0 <= t["churn_risk"] <= 1
        assert t["churn_band"] == band([t["churn_risk"]])[0]
        assert t["version"] == result.version
    risk = {g: [traits[p]["churn_risk"] for p in buyers if shop.group[p] == g]
            for g in ("loyal", "lapsing")}  # fmt: skip
    assert max(sorted(risk["loyal"])[: int(len(risk["loyal"]) * 0.9)]) < 0.3
    assert min(sorted(risk["lapsing"])[-int(len(risk["lapsing"]) * 0.9) :]) >= 0.7


def test_bands_follow_the_documented_thresholds() -> None:
    assert band([0.0, 0.2999, 0.3, 0.6999, 0.7, 1.0]) == [
        "low", "low", "medium", "medium", "high", "high",
    ]  # fmt: skip


def test_churn_traits_work_in_a_segment(store: Store, workspace: Workspace) -> None:
    shop = build_shop(store, workspace.settings, people=200)
    assert train(store, workspace.settings, now=NOW).status == "active"
    service = SegmentService(store, workspace.settings)
    high = service.create(
        SegmentCreate(
            name="High churn", definition={"trait": "churn_band", "op": "eq", "value": "high"}
        ),
        now=NOW,
    )
    risky = service.create(
        SegmentCreate(name="Risky", definition={"trait": "churn_risk", "op": "gte", "value": 0.7}),
        now=NOW,
    )
    with store.session() as s:
        rows = s.fetchall("SELECT segment_id, profile_id FROM segment_members", step="t.members")
    members = {
        sid: {str(p) for i, p in rows if i == sid} for sid in (high.segment_id, risky.segment_id)
    }
    assert members[high.segment_id] == members[risky.segment_id]
    assert members[high.segment_id], "someone is at high risk"
    lapsing = {p for p in _traits(store) if shop.group[p] == "lapsing"}
    assert lapsing <= members[high.segment_id]
    loyal = {p for p in members[high.segment_id] if shop.group[p] == "loyal"}
    assert len(loyal) <= 0.1 * len(members[high.segment_id])


def test_too_little_data_is_rejected_and_previous_traits_kept(
    store: Store, workspace: Workspace
) -> None:
    build_shop(store, workspace.settings, people=200)
    first = train(store, workspace.settings, now=NOW)
    assert first.status == "active"
    before = _traits(store)
    # A year earlier the shop had no history yet: no buyers at either cutoff.
    again = train(store, workspace.settings, now=NOW - timedelta(days=365))
    assert again.status == "rejected"
    assert "too few examples at the train cutoff: 0 buyers" in again.message
    assert "previous churn traits kept" in again.message
    assert _traits(store) == before
    assert sorted(_runs(store)) == [("active", ""), ("rejected", again.message)]


def test_tiny_workspace_with_hostile_orders_is_rejected(store: Store, workspace: Workspace) -> None:
    at = (NOW - timedelta(days=100)).strftime("%Y-%m-%d %H:%M")
    bad = [{"revenue": "NaN"}, {"revenue": -5}, {"revenue": "Infinity"}, {"revenue": 10**30}]
    events = [
        event("track", at, user_id=f"u{i}", event="Order Completed",
              properties={"order_id": f"o{i}", "currency": "VND", **props})
        for i, props in enumerate(bad)
    ]  # fmt: skip
    load(store, events, {f"u{i}": [("user_id", f"u{i}")] for i in range(len(bad))})
    result = train(store, workspace.settings, now=NOW)
    assert result.status == "rejected"
    assert "too few examples" in result.message and "needs 100 buyers" in result.message
    assert _traits(store) == {}
