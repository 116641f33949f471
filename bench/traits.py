"""Computed traits refresh: a full refresh against an incremental one of a few profiles.

    .venv/bin/python bench/traits.py [--profiles 100000] [--events 2000000] [--sample 1000]

Generates the data in SQL straight into a fresh workspace (events, identities, profiles: each
profile has a user_id and an anonymous_id), with the event mix of a shop: pages and screens,
product views, identify calls with traits, tracked orders with products[], imported order
lines and refunds, some with context.sessionId. Times ``refresh_workspace`` (every profile,
one transaction) and ``run_refresh`` of ``--sample`` random profiles (what the ingest pipeline
does after a flush), and prints the ratio of the incremental to the full refresh. The
incremental refresh is run twice; the second (warm) timing is the one reported.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from unicx.config import load_settings
from unicx.profiles.traits import refresh_workspace, run_refresh
from unicx.store import Store
from unicx.workspace import init_workspace, open_store

EVENTS_SQL = """
INSERT INTO events (event_key, source_id, message_id, type, event, user_id, anonymous_id,
                    timestamp, received_at, traits, properties, context, local_hour,
                    device_type, library_name)
WITH base AS (
  SELECT i, (hash(i) % 100)::BIGINT AS k, (hash(i * 7 + 1) % $profiles)::BIGINT AS p,
         TIMESTAMPTZ '2024-07-01 00:00:00+07' - to_seconds((hash(i * 13) % 63072000)::BIGINT)
           AS ts,
         ['whisky', 'wine', 'tea', 'rice', 'snacks'][1 + (hash(i * 5) % 5)::BIGINT] AS cat,
         (1 + (hash(i * 3) % 20)::BIGINT) * 50000 AS price
  FROM range($events) r(i)
)
SELECT i::UHUGEINT, 'bench', 'm' || i,
  CASE WHEN k < 45 THEN 'page' WHEN k < 55 THEN 'screen' WHEN k < 58 THEN 'identify'
       ELSE 'track' END,
  CASE WHEN k BETWEEN 58 AND 89 THEN 'Product Viewed'
       WHEN k BETWEEN 90 AND 98 THEN 'Order Completed' WHEN k = 99 THEN 'Order Refunded' END,
  CASE WHEN k >= 55 THEN 'u' || p END,
  CASE WHEN k < 55 THEN 'a' || p END,
  ts, ts,
  CASE WHEN k BETWEEN 55 AND 57 THEN
    json_object('email', 'p' || p || '@x.vn', 'plan', ['free', 'gold'][1 + i % 2]) END,
  CASE WHEN k BETWEEN 90 AND 94 THEN json_object('order_id', 'o' || i, 'revenue', price,
         'currency', 'VND', 'products',
         json_array(json_object('category', cat, 'price', price, 'quantity', 1)))
       WHEN k BETWEEN 95 AND 98 THEN json_object('order_id', 'L' || (i // 4), 'category', cat,
         'quantity', 2, 'price', price, 'line_total', 2 * price, 'currency', 'VND')
       WHEN k = 99 THEN json_object('order_id', 'o' || (i - 1), 'revenue', 50000) END,
  CASE WHEN k < 45 THEN json_object('library', json_object('name', 'analytics.js'),
                                    'sessionId', p || '-' || (i % 7))
       WHEN k < 55 THEN json_object('library', json_object('name', 'analytics-ios'))
       ELSE json_object('library', json_object('name', 'analytics-python')) END,
  CASE WHEN k < 55 THEN hour(timezone('Asia/Ho_Chi_Minh', ts)) END,
  CASE WHEN k < 45 THEN 'desktop' WHEN k < 55 THEN 'mobile' END,
  CASE WHEN k < 45 THEN 'analytics.js' WHEN k < 55 THEN 'analytics-ios'
       ELSE 'analytics-python' END
FROM base
"""

IDENTITIES_SQL = """
INSERT INTO identities
SELECT t, (CASE t WHEN 'user_id' THEN 'u' ELSE 'a' END) || p, 'p' || p, now(), now()
FROM range($profiles) r(p), (VALUES ('user_id'), ('anonymous_id')) v(t);
INSERT INTO profiles SELECT 'p' || p, now(), now() FROM range($profiles) r(p);
"""


def generate(store: Store, *, profiles: int, events: int) -> float:
    started = time.perf_counter()
    with store.session() as s, s.transaction():
        s.execute("SELECT setseed(0.42)", step="bench.seed")
        s.execute(EVENTS_SQL, {"profiles": profiles, "events": events}, step="bench.events")
        for statement in filter(str.strip, IDENTITIES_SQL.split(";")):
            s.execute(statement, {"profiles": profiles}, step="bench.identities")
    return time.perf_counter() - started


def incremental(store: Store, ids: list[str], settings_path: Path) -> tuple[float, int]:
    settings = load_settings(workspace=settings_path)
    started = time.perf_counter()
    with store.profile_lock, store.session() as s, s.transaction():
        report = run_refresh(s, settings, ids)
    return time.perf_counter() - started, report.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ws"
        settings = load_settings(workspace=path)
        init_workspace(settings)
        store = open_store(settings)
        gen = generate(store, profiles=args.profiles, events=args.events)
        print(f"generated {args.events:,} events / {args.profiles:,} profiles in {gen:.1f} s")
        full = refresh_workspace(store, settings)
        print(f"full refresh: {full.seconds:.2f} s, {full.profiles:,} profiles, "
              f"{full.rows:,} rows; steps: "
              + ", ".join(f"{k} {v:.2f} s" for k, v in full.steps.items()))  # fmt: skip
        ids = [f"p{i}" for i in random.Random(7).sample(range(args.profiles), args.sample)]
        cold, _ = incremental(store, ids, path)
        warm, rows = incremental(store, ids, path)
        one, _ = incremental(store, ids[:1], path)
        print(f"incremental refresh of {args.sample:,} profiles: {warm:.2f} s warm "
              f"({cold:.2f} s cold), {rows:,} rows; one profile: {one:.3f} s")  # fmt: skip
        print(f"ratio incremental / full: {warm / full.seconds:.3f} "
              f"({args.sample / args.profiles:.3%} of the profiles)")  # fmt: skip
        store.close()


if __name__ == "__main__":
    main()
