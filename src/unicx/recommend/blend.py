"""The blend: every model proposes its top candidates, a weighted rank fusion orders them.

Scores of different models live on different scales (co-occurrence cosines, ALS dot products,
BM25 sums, decayed counts), so each model contributes ``weight / (rank_constant + rank)`` for
the items in its top ``candidates`` (reciprocal rank fusion, Cormack et al. 2009), weighted per
model. The weights and hyper-parameters were tuned on a validation period of the real retail
data before its test weeks (bench/recommend.py, docs/recommendation-models.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from unicx.recommend.data import DEFAULT_EVENT_WEIGHTS, Interactions
from unicx.recommend.models import ALS, CoOccurrence, ItemKNN, Model, Popularity, row_normalize

BATCH = 512


@dataclass(frozen=True)
class BlendConfig:
    event_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_EVENT_WEIGHTS)
    # Defaults: what bench/recommend.py tuned on the validation weeks of the UCI data.
    half_life_days: float | None = 30.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "popularity": 0.3,
            "cooccurrence": 0.0,
            "als": 2.0,
            "item_knn": 1.0,
        }
    )
    als_factors: int = 32
    als_regularization: float = 0.05
    als_iterations: int = 15
    als_alpha: float = 1.0
    knn_k: int = 20
    cooccurrence_shrink: float = 10.0
    candidates: int = 100
    rank_constant: float = 20.0


def _top(scores: NDArray[np.float32], m: int) -> NDArray[np.int64]:
    """Per row, the indices of the ``m`` best finite scores, best first."""
    m = min(m, scores.shape[1])
    part = np.argpartition(-scores, m - 1, axis=1)[:, :m]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(part, order, axis=1)


class Blend:
    def __init__(self, data: Interactions, matrix: csr_matrix, config: BlendConfig) -> None:
        self.data = data
        self.matrix = matrix
        self.config = config
        self.popularity = Popularity()
        self.models: dict[str, Model] = {"popularity": self.popularity}
        w = config.weights
        if w.get("cooccurrence", 0) > 0:
            self.models["cooccurrence"] = CoOccurrence(shrink=config.cooccurrence_shrink)
        if w.get("als", 0) > 0:
            self.models["als"] = ALS(
                factors=config.als_factors,
                regularization=config.als_regularization,
                iterations=config.als_iterations,
                alpha=config.als_alpha,
            )
        if w.get("item_knn", 0) > 0:
            self.models["item_knn"] = ItemKNN(K=config.knn_k)
        for model in self.models.values():
            model.fit(matrix)
        self.history = (matrix > 0).astype(np.int8).tocsr()

    # -- people with a history ---------------------------------------------------------------

    def _fuse(self, rows: dict[str, NDArray[np.float32]], n: int) -> NDArray[np.float64]:
        fused = np.zeros((n, len(self.data.items)), dtype=np.float64)
        c, m = self.config.rank_constant, self.config.candidates
        for name, scores in rows.items():
            weight = self.config.weights.get(name, 0.0)
            if weight <= 0:
                continue
            top = _top(scores, m)
            # Only positive evidence ranks: a zero co-occurrence or neighbour score (or an
            # excluded item's -inf) is no reason to recommend an item.
            positive = np.take_along_axis(scores, top, axis=1) > 0
            contribution = weight / (c + np.arange(top.shape[1]))[None, :] * positive
            np.add.at(fused, (np.arange(n)[:, None], top), contribution)
        return fused

    def _best(self, fused: NDArray[np.float64], k: int) -> list[list[tuple[int, float]]]:
        top = _top(fused.astype(np.float32), k)
        return [
            [(int(i), float(fused[r, i])) for i in row if fused[r, i] > 0]
            for r, row in enumerate(top)
        ]

    def recommend(
        self, users: Sequence[int], *, k: int, exclude_seen: bool = True
    ) -> list[list[tuple[int, float]]]:
        """Item indices with fused scores, best first. A user index outside the training data
        or without history gets trending items."""
        out: list[list[tuple[int, float]]] = []
        n_users = self.matrix.shape[0]
        for start in range(0, len(users), BATCH):
            batch = list(users[start : start + BATCH])
            known = [u if 0 <= u < n_users else 0 for u in batch]
            cold = np.array([not (0 <= u < n_users) or self.history[u].nnz == 0 for u in batch])
            rows = {name: model.score(known) for name, model in self.models.items()}
            if exclude_seen:
                seen = self.history[known].toarray().astype(bool) & ~cold[:, None]
                for scores in rows.values():
                    scores[seen] = -np.inf
            personal = {name: s for name, s in rows.items() if name != "popularity"}
            for scores in personal.values():
                scores[cold] = -np.inf  # cold rows: trending only
            out.extend(self._best(self._fuse(rows, len(batch)), k))
        return out

    # -- sessions, carts and items -----------------------------------------------------------

    def _item_rows(self, items: Sequence[int]) -> dict[str, NDArray[np.float32]]:
        basket = np.zeros((1, len(self.data.items)), dtype=np.float32)
        basket[0, list(items)] = 1.0
        rows: dict[str, NDArray[np.float32]] = {
            "popularity": self.popularity.totals[None, :].copy()
        }
        for name, model in self.models.items():
            if isinstance(model, CoOccurrence | ItemKNN):
                sim = row_normalize(model.similarity)
                rows[name] = (csr_matrix(basket) @ sim).toarray().astype(np.float32)
            elif isinstance(model, ALS):
                factors = model.item_factors
                norms = np.linalg.norm(factors, axis=1) + 1e-9
                query = (factors[list(items)] / norms[list(items), None]).mean(axis=0)
                rows[name] = ((factors / norms[:, None]) @ query)[None, :].astype(np.float32)
        return rows

    def recommend_for_items(
        self, items: Sequence[int], *, k: int, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]:
        """For a cart or an anonymous session: complements of ``items`` (themselves excluded)."""
        valid = [i for i in items if 0 <= i < len(self.data.items)]
        if not valid:
            return self.popular(k=k)
        rows = self._item_rows(valid)
        banned = list({*valid, *(i for i in exclude if 0 <= i < len(self.data.items))})
        for scores in rows.values():
            scores[0, banned] = -np.inf
        return self._best(self._fuse(rows, 1), k)[0]

    def similar(self, item: int, *, k: int) -> list[tuple[int, float]]:
        """ "People who bought or viewed this also ...": the item's neighbours, trending aside."""
        rows = self._item_rows([item])
        rows.pop("popularity")
        for scores in rows.values():
            scores[0, item] = -np.inf
        return self._best(self._fuse(rows, 1), k)[0]

    def popular(self, *, k: int, users: Sequence[int] | None = None) -> list[tuple[int, float]]:
        totals = self.popularity.totals if users is None else self.popularity.among(users)
        top = _top(totals[None, :], k)[0]
        return [(int(i), float(totals[i])) for i in top if totals[i] > 0]


def fit_blend(data: Interactions, *, now: datetime, config: BlendConfig | None = None) -> Blend:
    config = config or BlendConfig()
    matrix = data.matrix(
        event_weights=config.event_weights, half_life_days=config.half_life_days, now=now
    )
    return Blend(data, matrix, config)
