"""The serving index: the active model's candidate lists, held in memory by the server.

DuckDB answers analytical scans, not thousands of point lookups a second, so the lists a
training run stored are loaded once per model version into numpy arrays (one slice per person
or item) and reloaded when a new version becomes active or the catalog changes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from unicx.store import Session, Store

CHECK_EVERY_S = 5.0
Ranked = list[tuple[str, float]]


@dataclass
class Lists:
    """key -> (item, score) lists, stored as one sorted column and offsets."""

    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    items: NDArray[np.object_] = field(default_factory=lambda: np.array([], dtype=object))
    scores: NDArray[np.float64] = field(default_factory=lambda: np.array([], dtype=np.float64))

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Lists:
        """``table``: key, item_id, score, sorted by key then rank."""
        if table.num_rows == 0:
            return cls()
        keys = table["key"].to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        return cls(
            keys={str(keys[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)},
            items=table["item_id"].to_numpy(zero_copy_only=False),
            scores=table["score"].to_numpy(),
        )

    def get(self, key: str) -> Ranked:
        span = self.keys.get(key)
        if span is None:
            return []
        s, e = span
        return list(zip(self.items[s:e].tolist(), self.scores[s:e].tolist(), strict=True))


@dataclass
class Index:
    version: str | None = None
    trained_at: datetime | None = None
    candidates: Lists = field(default_factory=Lists)
    similar: Lists = field(default_factory=Lists)
    trending: Lists = field(default_factory=Lists)
    purchased: Lists = field(default_factory=Lists)
    category: dict[str, str | None] = field(default_factory=dict)
    available: dict[str, bool] = field(default_factory=dict)
    catalog: dict[str, dict[str, object]] = field(default_factory=dict)
    known_items: frozenset[str] = frozenset()


def _lists(s: Session, sql: str, step: str) -> Lists:
    return Lists.from_arrow(s.execute(sql, step=step).to_arrow_table())


def load_index(s: Session) -> Index:
    row = s.fetchone(
        "SELECT version, trained_at FROM models WHERE model = 'recommend' AND status = 'active' "
        "ORDER BY trained_at DESC LIMIT 1",
        step="recommend.index.version",
    )
    if row is None:
        return Index()
    catalog = s.fetch_dicts(
        "SELECT item_id, name, category, price, available, image, url FROM catalog_items",
        step="recommend.index.catalog",
    )
    category = {
        str(i): (None if c is None else str(c))
        for i, c in s.fetchall("SELECT item_id, category FROM rec_items", step="recommend.items")
    }
    category.update({str(c["item_id"]): c["category"] for c in catalog if c["category"]})
    return Index(
        version=str(row[0]),
        trained_at=row[1],
        candidates=_lists(s, "SELECT profile_id AS key, item_id, score FROM rec_candidates "
                          "ORDER BY key, rank", "recommend.index.candidates"),
        similar=_lists(s, "SELECT item_id AS key, other_id AS item_id, score FROM rec_similar "
                       "ORDER BY key, rank", "recommend.index.similar"),
        trending=_lists(s, "SELECT scope || ':' || scope_value AS key, item_id, score FROM "
                        "rec_trending ORDER BY key, rank", "recommend.trending"),
        purchased=_lists(s, "SELECT profile_id AS key, item_id, 1.0 AS score FROM rec_purchased "
                         "ORDER BY key", "recommend.index.purchased"),
        category=category,
        available={str(c["item_id"]): bool(c["available"]) for c in catalog},
        catalog={str(c["item_id"]): c for c in catalog},
        known_items=frozenset(category) | frozenset(str(c["item_id"]) for c in catalog),
    )  # fmt: skip


class IndexHolder:
    """The current index; checks at most every few seconds whether it is stale."""

    def __init__(self, store: Store, *, check_every_s: float = CHECK_EVERY_S) -> None:
        self._store = store
        self._every = check_every_s
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._stamp: tuple[object, ...] | None = None
        self._checked = 0.0

    def _current_stamp(self, s: Session) -> tuple[object, ...]:
        row = s.fetchone(
            "SELECT (SELECT max(version) FROM models WHERE model = 'recommend' AND "
            "status = 'active'), (SELECT max(updated_at) FROM catalog_items), "
            "(SELECT count(*) FROM catalog_items)",
            step="recommend.index.stamp",
        )
        return tuple(row) if row else ()

    def get(self) -> Index:
        now = time.monotonic()
        if self._index is not None and now - self._checked < self._every:
            return self._index
        with self._lock:
            if self._index is not None and now - self._checked < self._every:
                return self._index
            with self._store.session() as s:
                stamp = self._current_stamp(s)
                if self._index is None or stamp != self._stamp:
                    self._index = load_index(s)
                    self._stamp = stamp
            self._checked = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0
            self._stamp = None
