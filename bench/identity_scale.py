"""Identity resolution at scale: 1M people, 5M events linking their identifiers.

Each generated person has a user id, an e-mail, two anonymous ids (web, app) and a device id,
spread over five events that each carry two or three of them; 0.1% of people also use another
person's device (a shared tablet), which merge protection must refuse. The benchmark times

- a full rebuild (set-based components + replay of the refused ones), against a baseline in
  the same run: a plain Python union-find over the same identifier pairs, i.e. the cost of
  "a loop per event" before any merge protection or writing;
- the realtime path: 10,000 new events from known people (fast path) and from new people.

    .venv/bin/python bench/identity_scale.py --people 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from unicx.assembly import migrate_workspace
from unicx.config import load_settings
from unicx.identity.service import IdentityService
from unicx.store import Store

_EVENTS_SQL = """
INSERT INTO events (event_key, source_id, message_id, type, event, user_id, anonymous_id,
                    timestamp, received_at, traits, context)
SELECT (p * 5 + k)::UHUGEINT + ?::UHUGEINT, 'bench', 'm' || (p * 5 + k + ?),
       CASE WHEN k IN (0, 2) THEN 'identify' ELSE 'track' END,
       CASE WHEN k IN (0, 2) THEN NULL ELSE 'Product Viewed' END,
       CASE WHEN k IN (0, 4) THEN 'u' || p END,
       CASE WHEN k IN (0, 3, 4) THEN 'w' || p ELSE 'a' || p END,
       TIMESTAMPTZ '2026-01-01' + to_seconds(p + k * 60), now(),
       CASE WHEN k IN (0, 2) THEN json_object('email', 'p' || p || '@example.vn') END,
       CASE WHEN k = 1 THEN json_object('device', json_object('id', 'd' || p)) END
FROM range(?, ?) r(p), range(5) s(k)
"""

# The shared tablet: person p (p % 1000 = 7) also logs in on person p+1's device.
_SHARED_SQL = """
INSERT INTO events (event_key, source_id, message_id, type, event, user_id, anonymous_id,
                    timestamp, received_at, context)
SELECT (p + 900000000000)::UHUGEINT, 'bench', 'shared' || p, 'track', 'Login',
       'u' || p, 'a' || (p + 1), TIMESTAMPTZ '2026-02-01', now(),
       json_object('device', json_object('id', 'd' || (p + 1)))
FROM range(?, ?) r(p) WHERE p % 1000 = 7
"""


def generate(store: Store, people: int) -> int:
    with store.session() as s:
        s.execute(_EVENTS_SQL, [0, 0, 0, people], step="bench.events")
        s.execute(_SHARED_SQL, [0, people - 1], step="bench.shared")
        row = s.fetchone("SELECT count(*) FROM events", step="bench.count")
    return int(row[0]) if row else 0


def python_union_find(store: Store) -> float:
    """Baseline: components of the same identifier pairs with a Python loop (no rules)."""
    with store.session() as s:
        pairs = s.fetchall(
            "SELECT coalesce(user_id, ''), anonymous_id, coalesce(traits->>'$.email', ''), "
            "coalesce(context->>'$.device.id', '') FROM events",
            step="bench.pairs",
        )
    started = time.perf_counter()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in pairs:
        ids = [v for v in row if v]
        root = find(ids[0])
        for other in ids[1:]:
            r2 = find(other)
            if r2 != root:
                parent[r2] = root
    return time.perf_counter() - started


def realtime(service: IdentityService, *, first_person: int, key_base: int) -> float:
    """Seconds to resolve 10,000 fresh events of 2,000 people starting at ``first_person``."""
    with service.store.session() as s:
        since = datetime.now(UTC)
        s.execute(
            _EVENTS_SQL,
            [key_base, key_base, first_person, first_person + 2000],
            step="bench.realtime_events",
        )
    started = time.perf_counter()
    service.resolve_since(since)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="realtime passes (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(workspace=Path(tmp))
        store = Store(settings.db_path)
        migrate_workspace(store)
        t0 = time.perf_counter()
        events = generate(store, args.people)
        print(f"generated {events:,} events for {args.people:,} people in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        service = IdentityService(store, settings)
        t0 = time.perf_counter()
        result = service.rebuild()
        full = time.perf_counter() - t0
        identity = full - result.derived_seconds
        baseline = python_union_find(store)
        with store.session() as s:
            row = s.fetchone(
                "SELECT count(*), count(DISTINCT profile_id) FROM identities", step="bench.ids"
            )
        ids, profiles = row if row else (0, 0)
        print(f"rebuild: {full:.1f} s for {events:,} events -> {profiles:,} profiles, "
              f"{ids:,} identifiers, {result.conflicts} conflicts; of which identity "
              f"resolution {identity:.1f} s (target <= 60 s) and the traits/consent refresh "
              f"of every profile {result.derived_seconds:.1f} s")  # fmt: skip
        # Every person is one profile: the shared tablets must not have merged anyone.
        shared = len(range(7, args.people - 1, 1000))
        ok = profiles == args.people and result.conflicts >= shared
        print(f"check: {profiles:,} profiles for {args.people:,} people, "
              f"{result.conflicts} conflicts for {shared} shared devices: "
              f"{'OK' if ok else 'WRONG'}")  # fmt: skip
        print(f"baseline python union-find (no rules, no writes): {baseline:.1f} s; "
              f"ratio identity/baseline = {identity / baseline:.2f}")  # fmt: skip
        base = 10**12
        known = [
            realtime(service, first_person=i * 2000, key_base=base * (i + 1))
            for i in range(args.repeat)
        ]
        fresh = realtime(service, first_person=args.people * 2, key_base=base * 100)
        print(f"realtime 10,000 events of known people: median {statistics.median(known):.2f} s "
              f"({statistics.median(known) / 10_000 * 1e6:.0f} us/event)")  # fmt: skip
        print(f"realtime 10,000 events of new people: {fresh:.2f} s")
        store.close()
    if not ok:
        raise SystemExit("identity resolution gave a wrong result (see the check line)")


if __name__ == "__main__":
    main()
