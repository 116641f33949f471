"""Audience exploration reports on the 1M-profile, 20M-event bench workspace.

Each report runs over the last 30 days and over the whole history (16 months), whole workspace
and one segment. The baseline, measured in the same run, is the floor any report pays: one scan
of the events in the range resolved to profiles (``event_profiles``), counted by event name.
Target: each report <= 5 s.

    .venv/bin/python bench/reports.py --people 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audience_data import DEFAULT_OUT, ensure_workspace
from unicx.config import Settings
from unicx.reports import service
from unicx.segments.models import SegmentCreate
from unicx.segments.service import SegmentService
from unicx.store import Store

REPORTS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "geography by country": (service.geography, {}),
    "geography by city": (service.geography, {"level": "city"}),
    "products by category": (service.products, {}),
    "products by product": (service.products, {"level": "product"}),
    "affinity of categories": (service.affinity, {}),
    "affinity of products": (service.affinity, {"level": "product"}),
    "funnel": (service.funnel, {}),
    "funnel by campaign": (service.funnel, {"by": "utm_campaign"}),
    "cohorts by first purchase": (service.cohorts, {"period": "month", "periods": 6}),
    "cohorts by first seen": (service.cohorts, {"by": "first_seen", "period": "week"}),
}
BASELINE = """SELECT event, count(*) FROM event_profiles
WHERE profile_id IS NOT NULL AND timestamp >= ? AND timestamp < ? GROUP BY event"""


def _median(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _segment(store: Store, settings: Settings) -> str:
    service_ = SegmentService(store, settings)
    for existing in service_.all():
        if existing.name == "bench buyers":
            return existing.segment_id
    body = SegmentCreate(
        name="bench buyers", definition={"trait": "orders_count", "op": "gte", "value": 1}
    )
    return service_.create(body).segment_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    store, settings, now = ensure_workspace(args.data, people=args.people)
    end = now.date() + timedelta(days=1)
    ranges = {"30 days": (end - timedelta(days=30), end), "all": (date(2025, 1, 1), end)}
    figures: dict[str, dict[str, float]] = {}
    try:
        segment = _segment(store, settings)
        for label, (start, stop) in ranges.items():
            with store.session() as s:
                base = _median(
                    lambda a=start, b=stop, s=s: s.fetchall(BASELINE, [a, b], step="bench.base"),
                    args.repeat,
                )
            print(f"-- {label}: baseline scan {base:.2f} s")
            for name, (fn, extra) in REPORTS.items():
                for seg in (None, segment):
                    key = f"{label} | {name}{' | segment' if seg else ''}"
                    took = _median(
                        lambda fn=fn, extra=extra, a=start, b=stop, seg=seg: fn(
                            store, settings, start=a, end=b, segment=seg, now=now, **extra
                        ),
                        args.repeat,
                    )
                    figures[key] = {"seconds": round(took, 2), "ratio": round(took / base, 2)}
                    print(f"{key:<62} {took:6.2f} s  x{took / base:5.2f} of the scan")
    finally:
        store.close()
    worst = max(v["seconds"] for v in figures.values())
    print(json.dumps({"worst_s": worst, "reports": figures}))


if __name__ == "__main__":
    main()
