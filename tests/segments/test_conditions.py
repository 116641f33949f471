"""Each condition type against the five people of fixture.py, expected members by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.segments.fixture import NOW, members
from unicx.profiles.traits import refresh_workspace
from unicx.segments.models import SegmentCreate
from unicx.segments.refresh import run_edges
from unicx.segments.service import SegmentService
from unicx.store import Store

WHISKY_TWICE = {
    "event": "Order Completed",
    "where": [{"property": "category", "op": "eq", "value": "whisky"}],
    "within": "30d",
    "count": {"gte": 2},
}
CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    # alice: two whisky orders 20 and 15 days ago; chi one, em one 40 days ago.
    "count in window with property": (WHISKY_TWICE, {"pa"}),
    "sum over 90 days": (
        {"event": "Order Completed", "within": "90d",
         "sum": {"property": "revenue", "gte": 5_000_000}},
        {"pa", "pc"},
    ),
    # bob added 3 days ago and never ordered; chi ordered 2 h after; em's day has not passed.
    "did X but not Y within": (
        {"event": "Product Added", "within": "7d",
         "not_followed_by": {"event": "Order Completed", "within": "1d"}},
        {"pb"},
    ),
    "first seen within 7 days": (
        {"trait": "first_seen", "op": "within_last", "value": "7d"}, {"pd"}
    ),
    "consent granted": ({"consent": "email"}, {"pa"}),
    "consent withdrawn": ({"consent": "email", "state": "denied"}, {"pb"}),
    "consent never given": ({"consent": "email", "state": "unknown"}, {"pc", "pd", "pe"}),
    "has email": ({"has": "email"}, {"pa", "pb", "pc"}),
    "has push token": ({"has": "push_token"}, {"pd"}),
    "latest country": ({"context": "country", "op": "in", "value": ["VN"]}, {"pa", "pc", "pd"}),
    "profile trait": ({"trait": "plan", "op": "eq", "value": "pro"}, {"pa"}),
    "computed trait range": ({"trait": "revenue", "op": "between", "value": [900_000, 6_500_000]},
                             {"pa", "pc", "pe"}),
    "never ordered": ({"not": {"event": "Order Completed"}}, {"pd"}),
    "no order in 30 days (zero counts)": (
        {"event": "Order Completed", "within": "30d", "count": {"lt": 1}}, {"pb", "pd", "pe"}
    ),
    "any": (
        {"any": [{"trait": "plan", "op": "eq", "value": "free"},
                 {"context": "country", "op": "eq", "value": "SG"}]},
        {"pb", "pe"},
    ),
    "all": ({"all": [{"has": "email"}, {"context": "country", "op": "eq", "value": "VN"}]},
            {"pa", "pc"}),
    "products list property": (
        {"event": "Order Completed",
         "where": [{"property": "products[].category", "op": "eq", "value": "beer"}]},
        {"pa", "pc"},
    ),
    # revenue: alice 6M, chi 6M, em 1M, bob 0.5M; the 80th percentile is 6M.
    "top percent": ({"trait": "revenue", "op": "top_percent", "value": 20}, {"pa", "pc"}),
    # beer first appeared 4 days ago (alice), chi bought it 2 days ago; whisky is 40 days old.
    "early adopters": (
        {"early_adopter": {"level": "category", "launched_within": "30d", "bought_within": "7d"}},
        {"pa", "pc"},
    ),
    "absolute window": (
        {"event": "Order Completed", "within": {"from": "2024-06-01", "to": "2024-06-21"}},
        {"pa", "pc"},
    ),
    "trait exists": ({"trait": "rfm_segment", "op": "exists"}, {"pa", "pb", "pc", "pe"}),
    "text contains, any case": ({"trait": "email", "op": "contains", "value": "ALICE"}, {"pa"}),
    "property numeric compare": (
        {"event": "Order Completed",
         "where": [{"property": "revenue", "op": "gt", "value": 1_500_000}]},
        {"pa", "pc"},
    ),
    "quotes and SQL stay values": (
        {"trait": "plan", "op": "in", "value": ["pro' OR 1=1 --", "'; DROP TABLE events; --"]},
        set(),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_condition(service: SegmentService, store: Store, case: str) -> None:
    definition, expected = CASES[case]
    segment = service.create(SegmentCreate(name=case, definition=definition), now=NOW)
    assert members(store, segment.segment_id) == expected
    assert segment.size == len(expected)
    assert service.preview(definition, now=NOW).count == len(expected)


def test_segment_membership_condition(service: SegmentService, store: Store) -> None:
    service.create(SegmentCreate(name="Whisky lovers", definition=WHISKY_TWICE), now=NOW)
    both = service.create(
        SegmentCreate(
            name="whisky and mail",
            definition={"all": [{"segment": "whisky lovers"}, {"consent": "email"}]},
        ),
        now=NOW,
    )
    assert members(store, both.segment_id) == {"pa"}
    # The reference is stored by id, so renaming the referenced segment changes nothing.
    assert both.definition["all"][0]["segment"].startswith("seg_")


def test_events_table_survives_hostile_values(service: SegmentService, store: Store) -> None:
    definition = CASES["quotes and SQL stay values"][0]
    service.create(SegmentCreate(name="x", definition=definition), now=NOW)
    with store.session() as s:
        row = s.fetchone("SELECT count(*) FROM events", step="t")
    assert row is not None and row[0] == 16


def test_full_traits_refresh_moves_calendar_segments(
    service: SegmentService, store: Store, workspace: Workspace
) -> None:
    # days_since_last_order grows without events: bob 200, em 40, chi 10, alice 4 at NOW.
    definition = {"trait": "days_since_last_order", "op": "gte", "value": 30}
    segment = service.create(SegmentCreate(name="lapsing", definition=definition), now=NOW)
    assert members(store, segment.segment_id) == {"pb", "pe"}
    refresh_workspace(store, workspace.settings, now=NOW + timedelta(days=21))
    assert members(store, segment.segment_id) == {"pb", "pc", "pe"}
    last = service.changes(segment.segment_id)[-1]
    assert (last.event, last.profile_id, last.reason) == ("Segment Entered", "pc", "refresh")


def test_scheduler_moves_people_when_windows_pass(
    service: SegmentService, store: Store, workspace: Workspace
) -> None:
    twice = service.create(SegmentCreate(name="whisky twice", definition=WHISKY_TWICE), now=NOW)
    cart_definition = CASES["did X but not Y within"][0]
    carts = service.create(SegmentCreate(name="carts", definition=cart_definition), now=NOW)
    # 13 hours on, em's cart (added 12 h before NOW) is a day old with no order.
    run_edges(store, workspace.settings, now=NOW + timedelta(hours=13))
    assert members(store, carts.segment_id) == {"pb", "pe"}
    # 11 days on, alice's first whisky order (20 days before NOW) leaves the 30-day window.
    run_edges(store, workspace.settings, now=NOW + timedelta(days=11))
    assert members(store, twice.segment_id) == set()
    changes = [(c.event, c.profile_id, c.reason) for c in service.changes(twice.segment_id)]
    assert changes == [
        ("Segment Entered", "pa", "definition"),
        ("Segment Exited", "pa", "schedule"),
    ]
    sizes = service.sizes(twice.segment_id)
    assert [(p.size, p.entered, p.exited) for p in sizes][-1] == (0, 0, 1)
