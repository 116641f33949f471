"""The serving index: the active model's candidate lists, held in memory by the server.

DuckDB answers analytical scans, not thousands of point lookups a second, so the lists a
training run stored are loaded once per model version into numpy arrays (one slice per person
or item, items as int32 codes into one vocabulary) and reloaded when a new version becomes
active or the catalog changes. Who a person is (their user and anonymous ids) and their
``personalization`` consent are held the same way; a profile created after the load is looked
up in the store instead (people.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from unicx.store import Session

Ranked = list[tuple[str, float]]


def _empty_codes() -> NDArray[np.int32]:
    return np.array([], dtype=np.int32)


@dataclass
class Lists:
    """key -> (item, score) lists, stored as one sorted column of item codes and offsets."""

    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)
    codes: NDArray[np.int32] = field(default_factory=_empty_codes)
    scores: NDArray[np.float64] = field(default_factory=lambda: np.array([], dtype=np.float64))

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Lists:
        """``table``: key, item_id, score, sorted by key then rank."""
        if table.num_rows == 0:
            return cls()
        keys = table["key"].to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        # Dictionary codes: 10M candidate rows are 40 MB of int32, not 10M Python strings.
        encoded = pc.dictionary_encode(table["item_id"]).combine_chunks()
        return cls(
            keys={str(keys[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)},
            vocab=[str(v) for v in encoded.dictionary.to_pylist()],
            codes=encoded.indices.to_numpy().astype(np.int32),
            scores=table["score"].to_numpy(),
        )

    def get(self, key: str) -> Ranked:
        span = self.keys.get(key)
        if span is None:
            return []
        s, e = span
        vocab = self.vocab
        items = [vocab[c] for c in self.codes[s:e].tolist()]
        return list(zip(items, self.scores[s:e].tolist(), strict=True))


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
    country: dict[str, str] = field(default_factory=dict)  # profile -> most seen country


def _lists(s: Session, sql: str, step: str) -> Lists:
    return Lists.from_arrow(s.execute(sql, step=step).to_arrow_table())


def _country(s: Session) -> dict[str, str]:
    rows = s.execute("SELECT profile_id, country FROM rec_profiles", step="recommend.countries")
    table = rows.to_arrow_table()
    return dict(zip(table["profile_id"].to_pylist(), table["country"].to_pylist(), strict=True))


def load_index(s: Session) -> Index:
    row = s.fetchone(
        "SELECT version, trained_at FROM models WHERE model = 'recommend' AND status = 'active' "
        "ORDER BY trained_at DESC LIMIT 1",
        step="recommend.index.version",
    )
    catalog = s.fetch_dicts(
        "SELECT item_id, name, category, price, currency, available, image, url FROM catalog_items",
        step="recommend.index.catalog",
    )
    category = {
        str(i): (None if c is None else str(c))
        for i, c in s.fetchall("SELECT item_id, category FROM rec_items", step="recommend.items")
    }
    category.update({str(c["item_id"]): c["category"] for c in catalog if c["category"]})
    base = Index(
        category=category,
        available={str(c["item_id"]): bool(c["available"]) for c in catalog},
        catalog={str(c["item_id"]): c for c in catalog},
        known_items=frozenset(category) | frozenset(str(c["item_id"]) for c in catalog),
    )
    if row is None:
        return base
    base.version, base.trained_at = str(row[0]), row[1]
    base.candidates = _lists(s, "SELECT profile_id AS key, item_id, score FROM rec_candidates "
                             "ORDER BY key, rank", "recommend.index.candidates")  # fmt: skip
    base.similar = _lists(s, "SELECT item_id AS key, other_id AS item_id, score FROM "
                          "rec_similar ORDER BY key, rank", "recommend.index.similar")  # fmt: skip
    base.trending = _lists(s, "SELECT scope || ':' || scope_value AS key, item_id, score FROM "
                           "rec_trending ORDER BY key, rank", "recommend.trending")  # fmt: skip
    base.purchased = _lists(s, "SELECT profile_id AS key, item_id, 1.0 AS score FROM "
                            "rec_purchased ORDER BY key", "recommend.index.purchased")  # fmt: skip
    base.country = _country(s)
    return base


def index_stamp(s: Session) -> tuple[object, ...]:
    """Changes when a new model version becomes active or the catalog changes."""
    row = s.fetchone(
        "SELECT (SELECT max(version) FROM models WHERE model = 'recommend' AND "
        "status = 'active'), (SELECT max(updated_at) FROM catalog_items), "
        "(SELECT count(*) FROM catalog_items)",
        step="recommend.index.stamp",
    )
    return tuple(row) if row else ()
