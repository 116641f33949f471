"""RFM quintile scores and segment names on 15 buyers whose scores are known by construction.

Each buyer is given a target (R, F, M); every score value is used by exactly three buyers in each
dimension, and values grow with the score, so the quintile boundaries (``quantile_cont`` at
positions 3.8, 6.6, 9.4 and 12.2 of 15 sorted values) fall between the groups of three.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.profiles.traits_data import WEB, computed, event, load, snapshot, vn
from unicx.profiles.rfm import SEGMENT_GRID, SEGMENTS, segment_for
from unicx.profiles.traits import refresh_traits
from unicx.store import Store
from unicx.workspace import open_store

NOW = vn("2024-06-30 12:00")
UNIT = 360360  # divisible by 1..15, so every order of a buyer has the same whole value

# buyer: (R, F, M) -> segment by the grid (FM = (F + M + 1) // 2)
BUYERS: dict[str, tuple[int, int, int, str]] = {
    "b01": (5, 5, 5, "Champions"),
    "b02": (5, 1, 1, "New Customers"),
    "b03": (5, 2, 3, "Potential Loyalist"),
    "b04": (4, 5, 4, "Loyal Customers"),
    "b05": (4, 1, 1, "Promising"),
    "b06": (3, 3, 3, "Need Attention"),
    "b07": (3, 2, 2, "About To Sleep"),
    "b08": (2, 4, 3, "At Risk"),
    "b09": (1, 5, 5, "Can't Lose Them"),
    "b10": (2, 2, 2, "Hibernating"),
    "b11": (1, 1, 1, "Lost"),
    "b12": (4, 4, 5, "Loyal Customers"),
    "b13": (3, 3, 4, "Loyal Customers"),
    "b14": (2, 4, 4, "At Risk"),
    "b15": (1, 3, 2, "At Risk"),
}


def _values() -> dict[str, tuple[int, int, int]]:
    """(recency days, orders, revenue) per buyer: the j-th buyer of a score group gets the j-th
    value of that group's three, e.g. F=2 -> 4, 5, 6 orders; R=5 -> 10, 20, 30 days."""
    seen: dict[tuple[int, int], int] = {}
    out = {}
    for buyer, scores in BUYERS.items():
        ranks = []
        for dim, score in enumerate(scores[:3]):
            j = seen.get((dim, score), 0)
            seen[(dim, score)] = j + 1
            ranks.append(3 * ((5 - score) if dim == 0 else (score - 1)) + j + 1)
        out[buyer] = (10 * ranks[0], ranks[1], ranks[2] * UNIT)
    return out


def _events() -> list[dict[str, Any]]:
    events = []
    for buyer, (days, orders, revenue) in _values().items():
        last = NOW - timedelta(days=days)
        for k in range(orders):
            at = (last - timedelta(days=k)).strftime("%Y-%m-%d %H:%M")
            props = {"order_id": f"{buyer}-{k}", "revenue": revenue // orders}
            events.append(event("track", at, user_id=buyer, event="Order Completed",
                                context=WEB, properties=props))  # fmt: skip
    return events


@pytest.fixture
def store(workspace: Workspace) -> Store:
    store = open_store(workspace.settings)
    load(store, _events(), {b: [("user_id", b)] for b in BUYERS})
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
    return store


def test_grid_covers_eleven_segments() -> None:
    names = {name for row in SEGMENT_GRID.values() for name in row}
    assert names == set(SEGMENTS) and len(SEGMENTS) == 11
    assert segment_for(5, 5, 5) == "Champions" and segment_for(1, 1, 1) == "Lost"


def test_scores_and_segments(store: Store) -> None:
    got = {}
    for buyer in BUYERS:
        t = computed(store, buyer)
        got[buyer] = (
            t["rfm_recency_score"], t["rfm_frequency_score"], t["rfm_monetary_score"],
            t["rfm_segment"],
        )  # fmt: skip
        assert t["rfm_score"] == "".join(str(x) for x in got[buyer][:3])
    assert got == BUYERS


def test_incremental_scores_against_workspace(store: Store, workspace: Workspace) -> None:
    """Refreshing one buyer alone scores it against every buyer, giving the full-refresh rows."""
    before = snapshot(store)
    with store.session() as s, s.transaction():
        s.execute("DELETE FROM computed_traits WHERE profile_id = 'b06'", step="test.wipe")
        refresh_traits(s, workspace.settings, ["b06"], now=NOW)
    assert snapshot(store) == before
    assert computed(store, "b06")["rfm_segment"] == "Need Attention"


def test_lone_buyer_is_a_new_customer(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    order = {"order_id": "X1", "revenue": 100000}
    solo = event(
        "track", "2024-06-29 10:00", user_id="solo", event="Order Completed", context=WEB,
        properties=order,
    )  # fmt: skip
    load(store, [solo], {"p-solo": [("user_id", "solo")]})
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
    assert computed(store, "p-solo")["rfm_segment"] == "New Customers"  # R5 F1 M1
