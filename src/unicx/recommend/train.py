"""Training run of the recommenders: fit the blend, store its candidate lists.

Serving answers from these lists (and request-time re-ranking), never from the models
themselves, so a server needs no scikit-learn or implicit state and a new version replaces the
old in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from unicx.config import Settings
from unicx.predict.registry import TrainResult, new_version, record_run
from unicx.recommend.blend import Blend, BlendConfig, fit_blend
from unicx.recommend.data import EmptyInteractions, Interactions
from unicx.recommend.interactions import Extracted, extract
from unicx.store import Session, Store

MODEL = "recommend"
CANDIDATES = 100
SIMILAR = 30
TRENDING = 100
MIN_INTERACTIONS, MIN_USERS, MIN_ITEMS = 20, 5, 3
MAX_SEGMENTS = 100  # the largest segments get their own trending list (cold start)
TABLES = ("rec_candidates", "rec_purchased", "rec_similar", "rec_trending", "rec_items",
          "rec_profiles")  # fmt: skip

COUNTRIES_SQL = """
SELECT profile_id, arg_max(country, n) AS country FROM (
  SELECT profile_id, country, count(*) AS n FROM event_profiles
  WHERE profile_id IS NOT NULL AND country IS NOT NULL AND timestamp <= $until
  GROUP BY ALL
) GROUP BY profile_id
"""
SEGMENTS_SQL = """
WITH big AS (
  SELECT segment_id FROM segment_members GROUP BY segment_id
  ORDER BY count(*) DESC, segment_id LIMIT $limit
)
SELECT segment_id, list(profile_id) FROM segment_members WHERE segment_id IN (FROM big)
GROUP BY segment_id
"""


def _lists(rows: list[tuple[str, list[tuple[int, float]]]], data: Interactions) -> pa.Table:
    keys, items, scores, ranks = [], [], [], []
    for key, recs in rows:
        for rank, (item, score) in enumerate(recs, start=1):
            keys.append(key)
            items.append(data.items[item])
            scores.append(score)
            ranks.append(rank)
    return pa.table({"key": keys, "item_id": items, "score": scores, "rank": ranks})


def _trending(
    s: Session, blend: Blend, data: Interactions, countries: list[tuple[str, str]]
) -> pa.Table:
    """Global trending, trending per country and per (large) segment, for cold start."""
    parts = [("global", "", blend.popular(k=TRENDING))]
    users = data.user_index()
    groups: dict[tuple[str, str], list[int]] = {}
    for pid, country in countries:
        if pid in users:
            groups.setdefault(("country", country), []).append(users[pid])
    rows = s.fetchall(SEGMENTS_SQL, {"limit": MAX_SEGMENTS}, step="recommend.segments")
    for segment, members in rows:
        known = [users[p] for p in members if p in users]
        if known:
            groups[("segment", str(segment))] = known
    for (scope, value), members in groups.items():
        parts.append((scope, value, blend.popular(k=TRENDING, users=members)))
    cols: dict[str, list[object]] = {k: [] for k in ("scope", "scope_value", "item_id", "score",
                                                      "rank")}  # fmt: skip
    for scope, value, recs in parts:
        for rank, (item, score) in enumerate(recs, start=1):
            for col, v in zip(cols, (scope, value, data.items[item], score, rank), strict=True):
                cols[col].append(v)
    return pa.table(cols)


def _write(s: Session, name: str, sql: str, table: pa.Table) -> None:
    s.register("_rec_new", table)
    try:
        s.execute(sql, step=f"recommend.write.{name}")
    finally:
        s.unregister("_rec_new")


@dataclass
class _Lists:
    """What a training run stores, one Arrow table per ``rec_*`` table."""

    candidates: pa.Table
    similar: pa.Table
    purchased: pa.Table
    trending: pa.Table
    items: pa.Table
    profiles: pa.Table


def train(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    """Learn from the interactions of the window before ``as_of`` (default ``now``), decayed
    from it; store the lists, or reject the run and keep the previous ones."""
    version, cut, config = new_version(now), as_of or now, BlendConfig()
    params = {k: v for k, v in config.__dict__.items()}
    with store.session() as s:
        extracted = extract(s, settings, until=cut)
    data = _interactions(extracted)
    users, items, rows = (
        (len(data.users), len(data.items), len(data.user_idx)) if data else (0, 0, 0)
    )
    if data is None or rows < MIN_INTERACTIONS or users < MIN_USERS or items < MIN_ITEMS:
        result = TrainResult(
            MODEL, version, "rejected", rows,
            {"excluded_lines": extracted.excluded},
            f"too few interactions: {rows} from {users} people on {items} items (needs "
            f"{MIN_INTERACTIONS}, {MIN_USERS}, {MIN_ITEMS}); previous recommendations kept",
        )  # fmt: skip
        with store.session() as s, s.transaction():
            record_run(s, result, now=now, params=params, as_of=as_of)
        return result
    lists = _fit(store, data, cut=cut, config=config)
    metrics = {"interactions": rows, "people": users, "items": items,
               "excluded_lines": extracted.excluded,
               "candidates": lists.candidates.num_rows}  # fmt: skip
    result = TrainResult(MODEL, version, "active", rows, metrics)
    with store.session() as s, s.transaction():
        _replace(s, lists)
        record_run(s, result, now=now, params=params, as_of=as_of)
    return result


def _interactions(extracted: Extracted) -> Interactions | None:
    try:
        return Interactions.from_arrow(extracted.table, categories=extracted.categories)
    except EmptyInteractions:
        return None


def _fit(store: Store, data: Interactions, *, cut: datetime, config: BlendConfig) -> _Lists:
    """Fit the blend and compute every list it serves from."""
    blend = fit_blend(data, now=cut, config=config)
    users, items = len(data.users), len(data.items)
    candidates = _lists(
        list(zip(data.users, blend.recommend(range(users), k=CANDIDATES), strict=True)), data
    )
    similar = _lists([(data.items[i], blend.similar(i, k=SIMILAR)) for i in range(items)], data)
    purchased = pa.table(
        {
            "profile_id": [data.users[u] for u in data.user_idx[data.kind == 2]],
            "item_id": [data.items[i] for i in data.item_idx[data.kind == 2]],
        }
    )
    with store.session() as s:
        countries = [(str(p), str(c)) for p, c in s.fetchall(
            COUNTRIES_SQL, {"until": cut}, step="recommend.countries")]  # fmt: skip
        trending = _trending(s, blend, data, countries)
    return _Lists(
        candidates=candidates,
        similar=similar,
        purchased=purchased,
        trending=trending,
        items=pa.table({"item_id": data.items, "category": data.item_category}),
        profiles=pa.table(
            {"profile_id": [p for p, _ in countries], "country": [c for _, c in countries]}
        ),
    )


def _replace(s: Session, lists: _Lists) -> None:
    """The new lists in place of the old (inside the caller's transaction)."""
    for table in TABLES:
        s.execute(f"DELETE FROM {table}", step=f"recommend.clear.{table}")
    _write(s, "candidates", "INSERT INTO rec_candidates SELECT key, item_id, score, rank "
           "FROM _rec_new", lists.candidates)  # fmt: skip
    _write(s, "similar", "INSERT INTO rec_similar SELECT key, item_id, score, rank "
           "FROM _rec_new", lists.similar)  # fmt: skip
    _write(s, "purchased", "INSERT INTO rec_purchased SELECT DISTINCT profile_id, item_id "
           "FROM _rec_new", lists.purchased)  # fmt: skip
    _write(s, "trending", "INSERT INTO rec_trending SELECT * FROM _rec_new", lists.trending)
    _write(s, "items", "INSERT INTO rec_items SELECT * FROM _rec_new", lists.items)
    _write(s, "profiles", "INSERT INTO rec_profiles SELECT * FROM _rec_new", lists.profiles)
