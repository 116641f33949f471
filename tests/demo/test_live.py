"""The live part of the demo: registered customers filling carts, most leaving them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from unicx.demo.live import live_events

START = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def _visits(events: list[tuple[datetime, dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    by_session: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for _, event in events:
        by_session[event["context"]["sessionId"]].append(event)
    return by_session


def test_live_carts_are_reproducible_and_mostly_abandoned() -> None:
    events = live_events(users=60, seed=7, start=START, minutes=5)
    assert live_events(users=60, seed=7, start=START, minutes=5) == events
    times = [t for t, _ in events]
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < START + timedelta(minutes=10)
    visits = _visits(events)
    assert len(visits) > 15  # one person every few seconds
    names = [{e.get("event") for e in visit} for visit in visits.values()]
    assert all("Product Added" in n for n in names)
    bought = sum("Order Completed" in n for n in names) / len(names)
    assert 0.1 < bought < 0.6
    # Logged in, so the journey has an address to write to.
    assert all(
        any(e["type"] == "identify" and e["traits"]["email"] for e in visit)
        for visit in visits.values()
    )
    assert len({e["messageId"] for _, e in events}) == len(events)


def test_a_cart_comes_within_a_minute_or_two() -> None:
    for visit in _visits(live_events(users=60, seed=3, start=START, minutes=2)).values():
        first = datetime.fromisoformat(visit[0]["timestamp"])
        added = next(e for e in visit if e.get("event") == "Product Added")
        assert datetime.fromisoformat(added["timestamp"]) - first < timedelta(minutes=2)
