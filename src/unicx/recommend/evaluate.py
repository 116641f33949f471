"""Offline evaluation: a temporal split and the ranking metrics, the same for every model.

The protocol (docs/recommendation-models.md): train on everything before ``holdout_start``;
the people evaluated are those with a history before it and at least one purchase after it of
an item they had not interacted with before; their targets are those new items. Every model
recommends with the person's known items excluded, so all of them play the same game
(discovery, not "buy again").

- Recall@k: hits / |targets|.
- NDCG@k: binary relevance, DCG = sum over hits of 1 / log2(rank + 1) (ranks from 1), divided
  by the DCG of a perfect list of min(k, |targets|) hits.
- MAP@k: the mean over people of AP@k = sum over hits of precision@rank / min(k, |targets|).
- Coverage: the share of the catalog (items in the data) recommended to at least one person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from unicx.recommend.data import KINDS, Interactions

Recommender = Callable[[Sequence[int], int], list[list[int]]]


@dataclass(frozen=True)
class Split:
    train: Interactions
    users: list[int]
    targets: list[set[int]]


def temporal_split(data: Interactions, *, holdout_start: float, holdout_end: float) -> Split:
    """Train rows before ``holdout_start``; targets: purchases in [start, end) of new items."""
    train = data.before(holdout_start)
    known: dict[int, set[int]] = {}
    for u, i in zip(train.user_idx.tolist(), train.item_idx.tolist(), strict=True):
        known.setdefault(u, set()).add(i)
    window = (
        (data.ts >= holdout_start)
        & (data.ts < holdout_end)
        & (data.kind == KINDS.index("purchase"))
    )
    targets: dict[int, set[int]] = {}
    for u, i in zip(data.user_idx[window].tolist(), data.item_idx[window].tolist(), strict=True):
        if u in known and i not in known[u]:
            targets.setdefault(u, set()).add(i)
    users = sorted(targets)
    return Split(train=train, users=users, targets=[targets[u] for u in users])


def ndcg_at(ranked: Sequence[int], targets: set[int], k: int) -> float:
    dcg = sum(1 / np.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in targets)
    ideal = sum(1 / np.log2(r + 2) for r in range(min(k, len(targets))))
    return float(dcg / ideal) if ideal else 0.0


def recall_at(ranked: Sequence[int], targets: set[int], k: int) -> float:
    return len(set(ranked[:k]) & targets) / len(targets) if targets else 0.0


def ap_at(ranked: Sequence[int], targets: set[int], k: int) -> float:
    hits, total = 0, 0.0
    for r, i in enumerate(ranked[:k]):
        if i in targets:
            hits += 1
            total += hits / (r + 1)
    return total / min(k, len(targets)) if targets else 0.0


def evaluate(split: Split, recommend: Recommender, *, k: int = 10) -> Mapping[str, float]:
    """The metrics of ``recommend`` (users, k -> ranked item lists) on ``split``."""
    if not split.users:
        raise ValueError("nobody to evaluate: no one with a history bought a new item in the "
                         "holdout period")  # fmt: skip
    ranked = recommend(split.users, k)
    n_items = len(split.train.items)
    recommended = {i for row in ranked for i in row[:k]}
    pairs = list(zip(ranked, split.targets, strict=True))
    return {
        f"ndcg@{k}": float(np.mean([ndcg_at(r, t, k) for r, t in pairs])),
        f"recall@{k}": float(np.mean([recall_at(r, t, k) for r, t in pairs])),
        f"map@{k}": float(np.mean([ap_at(r, t, k) for r, t in pairs])),
        "coverage": len(recommended) / n_items if n_items else 0.0,
        "users": float(len(split.users)),
    }
