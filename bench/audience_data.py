"""A benchmark workspace for segments and reports: 1M profiles, 20M events, generated in SQL.

Each person ``p`` has user id ``u<p>``, anonymous id ``a<p>`` (their first page views are
anonymous only, linked by an identify), an e-mail (70%) and a phone (40%), and 20 events over
the last year: identify, a consent update (half of them), page views (some with UTM tags),
Product Viewed / Product Added / Checkout Started, Order Completed for buyers (30%; 1-3 orders
with 1-2 products each, VND prices), and Email Opened. 30% of people are dormant (active
120-365 days ago). Countries: mostly VN (Ho Chi Minh City, Ha Noi, Da Nang), then SG, TH, JP, US;
Singaporeans buy less often but spend more. Twelve product categories; a buyer's products come
mostly from a favourite category, and beer buyers often add sake.

Profiles and identities are written directly (one profile per person, as identity resolution
would produce; tests/bench/test_audience_data.py checks that on a small run), then the real
full traits and consent refresh runs.

    .venv/bin/python bench/audience_data.py --people 1000000 --out /tmp/unicx-audience.duckdb
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from unicx.config import Settings, load_settings
from unicx.privacy.consent import refresh_consents
from unicx.profiles.traits import refresh_traits
from unicx.store import Store
from unicx.workspace import init_workspace, open_store

NOW = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
EVENTS_PER_PERSON = 20
META_KEY = "bench.audience"
CATEGORIES = [
    "bia", "ruou-sake", "whisky", "ruou-vang", "snack", "my-pham",
    "cham-soc-da", "thoi-trang", "dien-thoai", "do-gia-dung", "sach", "do-choi",
]  # fmt: skip
PRODUCTS = 300

# h(k): a deterministic pseudo-random number in [0, 1000) per person and salt.
_PEOPLE_SQL = """
CREATE OR REPLACE TEMP TABLE bench_people AS
SELECT p,
  CASE WHEN h < 850 THEN 'VN' WHEN h < 890 THEN 'SG' WHEN h < 930 THEN 'TH'
       WHEN h < 970 THEN 'JP' ELSE 'US' END AS country,
  (hash(p, 2) % 1000) AS h_buyer,
  (hash(p, 3) % 1000) < 300 AS dormant,
  (hash(p, 4) % 12)::INT AS fav,
  (hash(p, 5) % 1000) < 700 AS has_email,
  (hash(p, 6) % 1000) < 400 AS has_phone,
  $now::TIMESTAMPTZ - to_seconds(CASE WHEN (hash(p, 3) % 1000) < 300
      THEN 120 * 86400 + hash(p, 7) % (245 * 86400) ELSE hash(p, 7) % (120 * 86400) END)
    AS last_active
FROM (SELECT p, hash(p, 1) % 1000 AS h FROM range($start, $stop) r(p))
"""

_EVENTS_SQL = """
INSERT INTO events (event_key, source_id, message_id, type, event, user_id, anonymous_id,
  timestamp, received_at, traits, properties, context, page_path, utm_source, utm_medium,
  utm_campaign, country, city, device_type, channel)
WITH base AS (
  SELECT b.*, k,
    CASE WHEN country = 'SG' THEN h_buyer < 200 ELSE h_buyer < 300 END AS buyer,
    (hash(p, k, 11) % 1000)::INT AS r,
    (CASE WHEN hash(p, k, 12) % 10 < 6 THEN fav ELSE hash(p, k, 13) % 12 END)::INT AS cat,
    last_active - to_seconds(CASE WHEN k = 0 THEN 100 * 86400 ELSE hash(p, k, 14) % (90 * 86400)
      END) AS ts
  FROM bench_people b, range(20) s(k)
),
typed AS (
  SELECT *,
    CASE WHEN k = 0 THEN 'identify' WHEN k BETWEEN 2 AND 7 THEN 'page' ELSE 'track' END AS type,
    CASE WHEN k = 1 THEN (CASE WHEN r < 500 THEN 'Consent Updated' ELSE 'Product Viewed' END)
         WHEN k BETWEEN 8 AND 12 THEN 'Product Viewed'
         WHEN k BETWEEN 13 AND 14 THEN 'Product Added'
         WHEN k = 15 THEN 'Checkout Started'
         WHEN k = 16 AND buyer THEN 'Order Completed'
         WHEN k = 17 AND buyer AND r < 500 THEN 'Order Completed'
         WHEN k = 18 AND buyer AND r < 250 THEN 'Order Completed'
         WHEN k = 19 THEN 'Email Opened'
         WHEN k BETWEEN 16 AND 18 THEN 'Product Viewed' END AS event,
    (cat * 25 + hash(p, k, 15) % 25)::INT AS product,
    CASE WHEN cat = 0 AND r < 500 THEN 1 ELSE (hash(p, k, 16) % 12)::INT END AS cat2,
    CASE WHEN country = 'SG' THEN 4 ELSE 1 END * (50000 + (hash(p, k, 17) % 40) * 50000) AS price
  FROM base
)
SELECT (p * 20 + k)::UHUGEINT, 'bench', 'm-' || p || '-' || k, type,
  CASE WHEN type = 'track' THEN event END,
  CASE WHEN k BETWEEN 2 AND 4 THEN NULL ELSE 'u' || p END,
  CASE WHEN k <= 4 THEN 'a' || p END,
  ts, ts,
  CASE WHEN type = 'identify' THEN json_object(
    'email', CASE WHEN has_email THEN 'e' || p || '@example.vn' END,
    'phone', CASE WHEN has_phone THEN '+849' || lpad(CAST(p AS VARCHAR), 8, '0') END,
    'plan', CASE WHEN r < 200 THEN 'pro' ELSE 'free' END) END,
  CASE
    WHEN event = 'Consent Updated' THEN json_object('purpose', 'email', 'granted', r < 350)
    WHEN event = 'Order Completed' THEN json_object(
      'order_id', 'o-' || p || '-' || k, 'currency', 'VND',
      'revenue', price * CASE WHEN r % 2 = 0 THEN 2 ELSE 1 END,
      'products', CASE WHEN r % 2 = 0 THEN json_array(
          json_object('product_id', 'sku-' || product, 'category', $cats[cat + 1],
                      'price', price, 'quantity', 1),
          json_object('product_id', 'sku-' || (cat2 * 25 + r % 25), 'category', $cats[cat2 + 1],
                      'price', price, 'quantity', 1))
        ELSE json_array(json_object('product_id', 'sku-' || product, 'category',
                                    $cats[cat + 1], 'price', price, 'quantity', 1)) END)
    WHEN event IN ('Product Viewed', 'Product Added', 'Checkout Started') THEN json_object(
      'product_id', 'sku-' || product, 'category', $cats[cat + 1], 'price', price)
  END,
  json_object('ip', '10.0.0.1'),
  CASE WHEN type = 'page' THEN '/p/' || product END,
  CASE WHEN k = 2 THEN (['google', 'facebook', 'zalo', 'tiktok'])[1 + r % 4] END,
  CASE WHEN k = 2 THEN (['cpc', 'social', 'social', 'video'])[1 + r % 4] END,
  CASE WHEN k = 2 THEN (['tet-2026', 'summer-sale', 'back-to-school'])[1 + r % 3] END,
  country,
  CASE WHEN country = 'VN' THEN (['Ho Chi Minh City', 'Ha Noi', 'Da Nang'])[1 + (p % 3)]
       WHEN country = 'SG' THEN 'Singapore' WHEN country = 'TH' THEN 'Bangkok'
       WHEN country = 'JP' THEN 'Tokyo' ELSE 'New York' END,
  (['mobile', 'mobile', 'desktop', 'tablet'])[1 + (p % 4)],
  CASE WHEN p % 3 = 0 THEN 'app' ELSE 'web' END
FROM typed
"""

_PROFILES_SQL = "INSERT INTO profiles SELECT 'p' || p, $now, $now FROM bench_people"
_IDENTITIES_SQL = """
INSERT INTO identities
SELECT 'user_id', 'u' || p, 'p' || p, last_active, last_active FROM bench_people
UNION ALL SELECT 'anonymous_id', 'a' || p, 'p' || p, last_active, last_active FROM bench_people
UNION ALL SELECT 'email', 'e' || p || '@example.vn', 'p' || p, last_active, last_active
  FROM bench_people WHERE has_email
UNION ALL SELECT 'phone', '+849' || lpad(CAST(p AS VARCHAR), 8, '0'), 'p' || p, last_active,
  last_active FROM bench_people WHERE has_phone
"""


def _settings(path: Path) -> Settings:
    return load_settings(workspace=path)


def generate(store: Store, *, start: int, stop: int, now: datetime = NOW) -> None:
    """People ``start`` to ``stop - 1``: their events, profiles and identities."""
    with store.session() as s, s.transaction():
        s.execute(_PEOPLE_SQL, {"start": start, "stop": stop, "now": now}, step="bench.people")
        s.execute(_EVENTS_SQL, {"cats": CATEGORIES}, step="bench.events")
        s.execute(_PROFILES_SQL, {"now": now}, step="bench.profiles")
        s.execute(_IDENTITIES_SQL, step="bench.identities")


def build_workspace(
    path: Path, *, people: int = 1_000_000, now: datetime = NOW, chunk: int = 250_000
) -> tuple[Store, Settings]:
    """A fresh workspace directory at ``path`` with ``people`` people; traits refreshed."""
    settings = _settings(path)
    init_workspace(settings)
    store = open_store(settings)
    started = time.perf_counter()
    for start in range(0, people, chunk):
        generate(store, start=start, stop=min(people, start + chunk), now=now)
    print(f"generated {people:,} people in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with store.session() as s, s.transaction():
        refresh_traits(s, settings, None, now=now)
        refresh_consents(s, settings, None)
        s.execute(
            "INSERT INTO workspace_meta VALUES (?, ?)",
            [META_KEY, json.dumps({"people": people, "now": now.isoformat()})],
            step="bench.meta",
        )
    print(f"traits and consent refresh: {time.perf_counter() - started:.1f} s")
    return store, settings


def ensure_workspace(path: Path, *, people: int = 1_000_000) -> tuple[Store, Settings, datetime]:
    """The workspace at ``path`` if it was built for ``people``, else a new one."""
    settings = _settings(path)
    if settings.db_path.exists():
        store = open_store(settings)
        with store.session() as s:
            row = s.fetchone(
                "SELECT value FROM workspace_meta WHERE key = ?", [META_KEY], step="bench.meta"
            )
        if row and json.loads(str(row[0]))["people"] == people:
            return store, settings, datetime.fromisoformat(json.loads(str(row[0]))["now"])
        store.close()
        for file in path.iterdir():
            file.unlink()
    store, settings = build_workspace(path, people=people)
    return store, settings, NOW


def fresh_events(store: Store, *, count: int, now: datetime, seed: int) -> list[str]:
    """``count`` new events received ``now``, as one flush: 80% from known people (orders,
    views, adds), 20% page views of new anonymous visitors. Returns the known profiles."""
    rng = random.Random(seed)
    row = store.session().fetchone("SELECT count(*) FROM profiles", step="bench.count")
    people = int(row[0]) if row else 1
    known = [rng.randrange(people) for _ in range(count * 4 // 5)]
    names = ["Product Viewed", "Product Added", "Order Completed", "Email Opened"]
    with store.session() as s:
        s.execute(
            """INSERT INTO events (event_key, source_id, message_id, type, event, user_id,
                 anonymous_id, timestamp, received_at, properties, country)
            SELECT (9000000000 + $seed * 100000 + i)::UHUGEINT, 'bench', 'f-' || $seed || '-' || i,
              CASE WHEN p IS NULL THEN 'page' ELSE 'track' END,
              CASE WHEN p IS NOT NULL THEN $names[1 + i % 4] END,
              CASE WHEN p IS NOT NULL THEN 'u' || p END,
              CASE WHEN p IS NULL THEN 'new-' || $seed || '-' || i END,
              $now, $now,
              json_object('revenue', 500000, 'category', 'whisky', 'order_id', 'f' || i,
                'products', json_array(json_object('category', 'whisky', 'price', 500000))),
              'VN'
            FROM (SELECT i, $known[i + 1] AS p FROM range($count) r(i))""",
            {"seed": seed, "names": names, "now": now, "count": count, "known": known},
            step="bench.fresh",
        )
    return sorted({f"p{p}" for p in known})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/unicx-audience"))
    args = parser.parse_args()
    started = time.perf_counter()
    store, _, _ = ensure_workspace(args.out, people=args.people)
    with store.session() as s:
        row = s.fetchone("SELECT count(*) FROM events", step="bench.count")
    store.close()
    print(f"{row[0] if row else 0:,} events; total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
