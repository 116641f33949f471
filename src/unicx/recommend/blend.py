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

from unicx.recommend.algorithms import ALS, CoOccurrence, ItemKNN, Model, Popularity, row_normalize
from unicx.recommend.data import DEFAULT_EVENT_WEIGHTS, Interactions

BATCH = 512


@dataclass(frozen=True)
class BlendConfig:
    event_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_EVENT_WEIGHTS)
    # Defaults: what bench/recommend.py tuned on the 4 validation weeks of the UCI data
    # before its 4 test weeks (docs/recommendation-models.md has the grids and figures).
    half_life_days: float | None = 14.0  # taste: the personal models' memory (None: no decay)
    trending_half_life_days: float | None = 7.0  # trending: what sells now (None: no decay)
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "popularity": 1.0,
            # Co-occurrence added nothing next to BM25 kNN on the validation weeks; it still
            # serves "bought together" in similar() and carts.
            "cooccurrence": 0.0,
            "als": 1.0,
            "item_knn": 1.0,
        }
    )
    als_factors: int = 32
    als_regularization: float = 0.05
    als_iterations: int = 15
    als_alpha: float = 1.0
    als_bm25: bool = False
    knn_k: int = 10
    knn_k1: float = 1.2
    knn_b: float = 0.5
    # Tuning preferred no shrinkage for recommending, where co-occurrence has weight 0; the
    # shrinkage stays for "bought together" lists, where a one-off pair of rare items would
    # be a visibly bad answer.
    cooccurrence_shrink: float = 10.0
    cooccurrence_neighbours: int = 200
    # "Similar items" and carts: bought together (purchases), viewed together (views and adds
    # to cart) and BM25 item-kNN on everything.
    similar_weights: Mapping[str, float] = field(
        default_factory=lambda: {"bought_together": 1.0, "viewed_together": 0.5, "item_knn": 1.0}
    )
    candidates: int = 100
    rank_constant: float = 20.0


def _top(scores: NDArray[np.float32], m: int) -> NDArray[np.int64]:
    """Per row, the indices of the ``m`` best scores, best first; equal scores in item order
    (so a list does not reshuffle between calls)."""
    m = min(m, scores.shape[1])
    part = np.argpartition(-scores, m - 1, axis=1)[:, :m]
    values = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1)


class Blend:
    def __init__(
        self,
        data: Interactions,
        matrix: csr_matrix,
        config: BlendConfig,
        *,
        trending: csr_matrix | None = None,
    ) -> None:
        """``matrix``: the confidences the personal models learn from; ``trending``: the
        (faster decaying) ones popularity counts, ``matrix`` if not given."""
        self.data = data
        self.matrix = matrix
        self.config = config
        self.popularity = Popularity()
        self.models: dict[str, Model] = {"popularity": self.popularity}
        w = config.weights
        if w.get("cooccurrence", 0) > 0:
            self.models["cooccurrence"] = self._cooccurrence()
        if w.get("als", 0) > 0:
            self.models["als"] = ALS(
                factors=config.als_factors,
                regularization=config.als_regularization,
                iterations=config.als_iterations,
                alpha=config.als_alpha,
                bm25=config.als_bm25,
            )
        if w.get("item_knn", 0) > 0:
            self.models["item_knn"] = self._knn()
        for model in self.models.values():
            model.fit(trending if model is self.popularity and trending is not None else matrix)
        self.history = (matrix > 0).astype(np.int8).tocsr()
        self._item_sims: dict[str, csr_matrix] | None = None

    def _cooccurrence(self) -> CoOccurrence:
        c = self.config
        return CoOccurrence(shrink=c.cooccurrence_shrink, neighbours=c.cooccurrence_neighbours)

    def _knn(self) -> ItemKNN:
        return ItemKNN(K=self.config.knn_k, K1=self.config.knn_k1, B=self.config.knn_b)

    # -- people with a history ---------------------------------------------------------------

    def _fuse(
        self,
        rows: dict[str, NDArray[np.float32]],
        n: int,
        weights: Mapping[str, float] | None = None,
    ) -> NDArray[np.float64]:
        fused = np.zeros((n, len(self.data.items)), dtype=np.float64)
        c, m = self.config.rank_constant, self.config.candidates
        weights = self.config.weights if weights is None else weights
        for name, scores in rows.items():
            weight = weights.get(name, 0.0)
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

    def item_similarities(self) -> dict[str, csr_matrix]:
        """The item-side models, fitted on first use, each row scaled to a maximum of 1."""
        if self._item_sims is None:
            fitted = self.models.get("item_knn")
            knn = fitted if isinstance(fitted, ItemKNN) else self._knn()
            if knn is not fitted:
                knn.fit(self.matrix)
            sims = {"item_knn": knn.similarity}
            for name, kinds in (("bought_together", ["purchase"]),
                                ("viewed_together", ["view", "add"])):  # fmt: skip
                model = self._cooccurrence()
                model.fit(self.data.binary(kinds))
                sims[name] = model.similarity
            self._item_sims = {name: row_normalize(sim) for name, sim in sims.items()}
        return self._item_sims

    def _item_rows(self, items: Sequence[int]) -> dict[str, NDArray[np.float32]]:
        basket = np.zeros((1, len(self.data.items)), dtype=np.float32)
        basket[0, list(items)] = 1.0
        rows: dict[str, NDArray[np.float32]] = {
            name: (csr_matrix(basket) @ sim).toarray().astype(np.float32)
            for name, sim in self.item_similarities().items()
        }
        return rows

    def recommend_for_items(
        self, items: Sequence[int], *, k: int, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]:
        """For a cart or an anonymous session: complements of ``items`` (themselves excluded),
        from the "similar items" models, trending filling the tail."""
        valid = [i for i in items if 0 <= i < len(self.data.items)]
        if not valid:
            return self.popular(k=k)
        rows = self._item_rows(valid)
        rows["popularity"] = self.popularity.totals[None, :].copy()
        banned = list({*valid, *(i for i in exclude if 0 <= i < len(self.data.items))})
        for scores in rows.values():
            scores[0, banned] = -np.inf
        weights = {
            **self.config.similar_weights,
            "popularity": self.config.weights.get("popularity", 0.0),
        }
        return self._best(self._fuse(rows, 1, weights), k)[0]

    def similar(self, item: int, *, k: int) -> list[tuple[int, float]]:
        """ "People who bought or viewed this also ...": bought together, viewed together and
        BM25 item-kNN neighbours, fused with ``similar_weights``; nothing for an unknown item."""
        if not 0 <= item < len(self.data.items):
            return []
        rows = self._item_rows([item])
        for scores in rows.values():
            scores[0, item] = -np.inf
        return self._best(self._fuse(rows, 1, self.config.similar_weights), k)[0]

    def popular(self, *, k: int, users: Sequence[int] | None = None) -> list[tuple[int, float]]:
        totals = self.popularity.totals if users is None else self.popularity.among(users)
        top = _top(totals[None, :], k)[0]
        return [(int(i), float(totals[i])) for i in top if totals[i] > 0]


def fit_blend(data: Interactions, *, now: datetime, config: BlendConfig | None = None) -> Blend:
    config = config or BlendConfig()
    matrix = data.matrix(
        event_weights=config.event_weights, half_life_days=config.half_life_days, now=now
    )
    trending = data.matrix(
        event_weights=config.event_weights, half_life_days=config.trending_half_life_days, now=now
    )
    return Blend(data, matrix, config, trending=trending)
