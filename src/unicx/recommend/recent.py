"""What people did since the model was trained, kept in memory for request-time re-ranking.

One query per request over the events table (a few milliseconds, and DuckDB runs it on every
core) collapsed throughput at 200 requests/s. Instead the product events newer than the
training run are read once, then every ``EVERY_S`` in the background only the ones received
since the last read (events are appended in arrival order, so DuckDB's zone maps on
``received_at`` skip the rest). A request reads a dict: its view of the person's latest events
lags ingest by at most about a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime

from unicx.errors import StoreError
from unicx.store import Store

log = logging.getLogger("unicx.recommend")
EVERY_S = 1.0
KEEP = 20  # per identifier, newest first
Recent = tuple[str, str | None, str | None]  # event, item, country
Row = tuple[datetime, str, str | None, str | None]  # timestamp, event, item, country

NEWER_SQL = """
SELECT user_id, anonymous_id, timestamp, event,
       coalesce(properties->>'$.product_id', properties->>'$.sku') AS item, country, received_at
FROM events
WHERE timestamp > $since AND received_at > $watermark
  AND event IN ('Product Viewed', 'Product Added', 'Order Completed')
"""


class RecentEvents:
    def __init__(self, store: Store, *, every_s: float = EVERY_S) -> None:
        self._store = store
        self._every = every_s
        self._lock = threading.Lock()
        self._since: datetime | None = None
        self._watermark: datetime | None = None
        self._by_key: dict[str, list[Row]] = {}
        self._checked = 0.0
        self._refreshing = False

    def lookup(
        self, users: tuple[str, ...], anons: tuple[str, ...], since: datetime, limit: int
    ) -> list[Recent]:
        """The person's latest product events after ``since`` (newest first)."""
        if self._since != since:
            with self._lock:
                if self._since != since:  # a new model version: start over, once
                    self._since, self._watermark, self._by_key = since, since, {}
                    self._read()
        elif time.monotonic() - self._checked >= self._every and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._background, daemon=True, name="rec-recent").start()
        by_key = self._by_key
        rows = [r for key in (*("u:" + u for u in users), *("a:" + a for a in anons))
                for r in by_key.get(key, ())]  # fmt: skip
        rows.sort(key=lambda r: r[0], reverse=True)
        return [(event, item, country) for _, event, item, country in rows[:limit]]

    def _background(self) -> None:
        try:
            with self._lock:
                self._read()
        except StoreError as exc:  # the store closing at shutdown: the next check retries
            log.warning("recent events refresh failed: %s", exc)
        finally:
            self._refreshing = False

    def _read(self) -> None:
        """Append the events received since the watermark (call with the lock held)."""
        with self._store.session() as s:
            rows = s.fetchall(
                NEWER_SQL,
                {"since": self._since, "watermark": self._watermark},
                step="recommend.recent",
            )
        if rows:
            grown: dict[str, list[Row]] = defaultdict(list, {k: list(v) for k, v in
                                                             self._by_key.items()})  # fmt: skip
            for user_id, anon_id, ts, event, item, country, received in rows:
                row: Row = (ts, str(event), item, country)
                for key in (f"u:{user_id}" if user_id else None,
                            f"a:{anon_id}" if anon_id else None):  # fmt: skip
                    if key is not None:
                        grown[key].append(row)
                if self._watermark is None or received > self._watermark:
                    self._watermark = received
            for items in grown.values():
                items.sort(key=lambda r: r[0], reverse=True)
                del items[KEEP:]
            self._by_key = dict(grown)  # swapped whole: readers never see a half update
        self._checked = time.monotonic()
