"""The catalog kept filled from what events say about products, when no feed says it.

Segment's e-commerce events describe products: ``Product Viewed``/``Added``/``Clicked``/...
carry one in their properties, ``Order Completed``/``Cart Viewed``/``Checkout Started``/...
carry ``products[]`` (imported order lines are such events too). After each ingest pass (and
each import) one set-based statement takes the latest non-empty name, category, price,
currency, image and url of every product the new events mention and upserts it with
``source = 'events'``. An item from a catalog feed (``source = 'feed'``, catalog.py) is never
touched: the feed is what the shop says its products are, events are what pages last showed.

Rows whose values did not change are left alone, so ``updated_at`` (the serving index's reload
stamp) only moves when something a recommendation shows changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from unicx.store import Session

SOURCE_EVENTS = "events"
SOURCE_FEED = "feed"
# Segment e-commerce spec v2: events whose properties are one product, and those with products[].
ONE_PRODUCT = ("Product Viewed", "Product Added", "Product Removed", "Product Clicked",
               "Product Added to Wishlist", "Product Shared")  # fmt: skip
PRODUCT_LISTS = ("Order Completed", "Order Updated", "Cart Viewed", "Checkout Started",
                 "Product List Viewed", "Product List Filtered")  # fmt: skip
FIELDS = ("product_id", "sku", "name", "product_name", "category", "price", "currency",
          "image_url", "url")  # fmt: skip
COLUMNS = ("name", "category", "price", "currency", "image", "url")


def _names(events: tuple[str, ...]) -> str:
    return ", ".join("'" + e.replace("'", "''") + "'" for e in events)


def _f(name: str) -> str:
    return f"f[{FIELDS.index(name) + 1}]"


def _link(name: str) -> str:
    # Only web links: a javascript: or data: URL from a page would end up in a shop's markup.
    return f"CASE WHEN regexp_matches({_f(name)}, '^https?://[^\\s]+$') THEN {_f(name)} END"


def _latest(column: str) -> str:
    return f"arg_max({column}, timestamp) FILTER (WHERE {column} IS NOT NULL) AS {column}"


def _keep_or_take(column: str) -> str:
    return f"{column} = coalesce(excluded.{column}, catalog_items.{column})"


def _changed(column: str) -> str:
    return (
        f"coalesce(excluded.{column}, catalog_items.{column}) "
        f"IS DISTINCT FROM catalog_items.{column}"
    )


PATHS = ", ".join(f"'$.{name}'" for name in FIELDS)
CATALOG_FROM_EVENTS_SQL = f"""
INSERT INTO catalog_items
  (item_id, name, category, price, currency, image, url, available, updated_at, source,
   observed_at)
WITH ev AS (
  SELECT timestamp, event, properties FROM events
  WHERE received_at >= $since AND type = 'track'
    AND event IN ({_names(ONE_PRODUCT + PRODUCT_LISTS)})
),
mentions AS (
  SELECT timestamp, properties AS p, NULL AS order_currency
  FROM ev WHERE event IN ({_names(ONE_PRODUCT)})
  UNION ALL
  SELECT timestamp, unnest(try(json_extract(properties, '$.products[*]'))) AS p,
         json_extract_string(properties, '$.currency') AS order_currency
  FROM ev WHERE event IN ({_names(PRODUCT_LISTS)})
),
facts AS (
  SELECT timestamp,
         left(coalesce({_f("product_id")}, {_f("sku")}), 200) AS item_id,
         left(nullif(trim(coalesce({_f("name")}, {_f("product_name")})), ''), 500) AS name,
         left(nullif(trim({_f("category")}), ''), 200) AS category,
         CASE WHEN isfinite(TRY_CAST({_f("price")} AS DOUBLE))
               AND TRY_CAST({_f("price")} AS DOUBLE) >= 0
              THEN TRY_CAST({_f("price")} AS DOUBLE) END AS price,
         left(upper(nullif(trim(coalesce({_f("currency")}, order_currency)), '')), 10)
           AS currency,
         left({_link("image_url")}, 2000) AS image,
         left({_link("url")}, 2000) AS url
  FROM (SELECT timestamp, order_currency, json_extract_string(p, [{PATHS}]) AS f FROM mentions)
)
SELECT item_id, {", ".join(_latest(c) for c in COLUMNS)}, true, $now, '{SOURCE_EVENTS}',
       max(timestamp)
FROM facts WHERE nullif(trim(item_id), '') IS NOT NULL
GROUP BY item_id
ON CONFLICT (item_id) DO UPDATE SET
  {", ".join(_keep_or_take(c) for c in COLUMNS)},
  updated_at = excluded.updated_at,
  observed_at = greatest(excluded.observed_at, catalog_items.observed_at)
WHERE catalog_items.source = '{SOURCE_EVENTS}'
  AND excluded.observed_at >= coalesce(catalog_items.observed_at, excluded.observed_at)
  AND ({" OR ".join(_changed(c) for c in COLUMNS)})
"""


def catalog_from_events(s: Session, *, since: datetime | None) -> None:
    """Upsert what the events received at/after ``since`` (None: all) say about products."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    params = {"since": since or epoch, "now": datetime.now(UTC)}
    s.execute(CATALOG_FROM_EVENTS_SQL, params, step="catalog.from_events")
