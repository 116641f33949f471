"""The candidate algorithms: trending, co-occurrence, ALS and BM25 item-kNN (``models.py``
holds the API's Pydantic models, ``schema.py`` the tables).

Each model is fitted on a users x items confidence matrix (``Interactions.matrix``) and scores
a batch of users against every item (dense rows: catalogs here are thousands to tens of
thousands of items; callers batch users). ALS and BM25 come from the ``implicit`` library.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, diags
from threadpoolctl import threadpool_limits

Scores = NDArray[np.float32]


class Model(Protocol):
    name: str

    def fit(self, matrix: csr_matrix) -> None: ...

    def score(self, users: Sequence[int]) -> Scores: ...


def _rows(matrix: csr_matrix, users: Sequence[int]) -> csr_matrix:
    return matrix[np.asarray(users, dtype=np.int64)]


class Popularity:
    """Trending: the (time-decayed) total confidence of each item; same for everyone."""

    name = "popularity"

    def __init__(self) -> None:
        self.totals: Scores = np.zeros(0, dtype=np.float32)
        self.matrix: csr_matrix | None = None

    def fit(self, matrix: csr_matrix) -> None:
        self.matrix = matrix
        self.totals = np.asarray(matrix.sum(axis=0)).ravel().astype(np.float32)

    def among(self, users: Sequence[int]) -> Scores:
        """Trending within a group of people (a segment, a country): cold start."""
        assert self.matrix is not None
        return np.asarray(_rows(self.matrix, users).sum(axis=0)).ravel().astype(np.float32)

    def score(self, users: Sequence[int]) -> Scores:
        return np.tile(self.totals, (len(users), 1))


class CoOccurrence:
    """Item-item co-occurrence ("bought together", "viewed together"): how many people had
    both items, cosine-normalized with a shrinkage so that a pair seen once between two rare
    items does not outrank a pair seen a hundred times (Koren 2008's shrunk similarities).
    Each item keeps its ``neighbours`` best partners, which bounds memory on large catalogs."""

    name = "cooccurrence"

    def __init__(self, *, shrink: float = 10.0, neighbours: int = 200) -> None:
        self.shrink = shrink
        self.neighbours = neighbours
        self.similarity = csr_matrix((0, 0), dtype=np.float32)
        self.matrix: csr_matrix | None = None

    def fit(self, matrix: csr_matrix) -> None:
        self.matrix = matrix
        binary = matrix.copy()
        binary.data[:] = 1.0
        co = (binary.T @ binary).tocsr().astype(np.float32)
        counts = co.diagonal().copy()
        co.setdiag(0)
        co.eliminate_zeros()
        co = co.tocoo()
        denom = np.sqrt(counts[co.row] * counts[co.col]) + self.shrink
        co.data = (co.data / denom).astype(np.float32)
        self.similarity = keep_top(co.tocsr(), self.neighbours)

    def score(self, users: Sequence[int]) -> Scores:
        assert self.matrix is not None
        return np.asarray((_rows(self.matrix, users) @ self.similarity).todense(), np.float32)


class ALS:
    """Implicit-feedback matrix factorization (Hu, Koren & Volinsky 2008) by ``implicit``.

    ``bm25``: weight the confidence matrix with BM25 first (as implicit's last.fm example
    does), which damps heavy buyers and best-sellers; otherwise the confidences are used as
    they are (scaled by ``alpha`` inside implicit)."""

    name = "als"

    def __init__(self, *, bm25: bool = False, **params: Any) -> None:
        self.bm25 = bm25
        self.params = {"random_state": 7, **params}
        self.user_factors: NDArray[np.float32] = np.zeros((0, 0), np.float32)
        self.item_factors: NDArray[np.float32] = np.zeros((0, 0), np.float32)

    def fit(self, matrix: csr_matrix) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import bm25_weight

        if self.bm25:
            matrix = bm25_weight(matrix.T, K1=100, B=0.8).T.tocsr().astype(np.float32)
        # implicit warns (and slows down) when BLAS runs its own thread pool.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(**self.params)
            model.fit(matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def score(self, users: Sequence[int]) -> Scores:
        idx = np.asarray(users, dtype=np.int64)
        return np.asarray(self.user_factors[idx] @ self.item_factors.T, dtype=np.float32)


class ItemKNN:
    """BM25-weighted item-item nearest neighbours (``implicit`` BM25Recommender)."""

    name = "item_knn"

    def __init__(self, *, K: int = 100, K1: float = 1.2, B: float = 0.75) -> None:
        self.params = {"K": K, "K1": K1, "B": B}
        self.similarity = csr_matrix((0, 0), dtype=np.float32)
        self.matrix: csr_matrix | None = None

    def fit(self, matrix: csr_matrix) -> None:
        from implicit.nearest_neighbours import BM25Recommender

        model = BM25Recommender(**self.params)
        with warnings.catch_warnings():
            # implicit converts its own BM25-weighted copy to CSR and warns about it.
            warnings.simplefilter("ignore")
            model.fit(matrix, show_progress=False)
        self.matrix = matrix
        self.similarity = model.similarity.tocsr().astype(np.float32)

    def score(self, users: Sequence[int]) -> Scores:
        assert self.matrix is not None
        # The item-item matrix implicit builds is indexed [item, neighbour]: a user's score
        # for item j sums similarity(i, j) over the items i they interacted with.
        return np.asarray((_rows(self.matrix, users) @ self.similarity).todense(), np.float32)


def row_normalize(similarity: csr_matrix) -> csr_matrix:
    """Scale each row to a maximum of 1, so two similarity matrices can be blended."""
    peak = np.asarray(similarity.max(axis=1).todense()).ravel()
    peak[peak == 0] = 1.0
    return (diags(1.0 / peak) @ similarity).tocsr()


def keep_top(similarity: csr_matrix, k: int) -> csr_matrix:
    """Each row's ``k`` largest entries (the item's best neighbours), the rest dropped."""
    similarity = similarity.tocsr()
    rows, cols, vals = [], [], []
    for r in range(similarity.shape[0]):
        start, end = similarity.indptr[r], similarity.indptr[r + 1]
        data = similarity.data[start:end]
        best = np.argpartition(-data, k - 1)[:k] if len(data) > k else np.arange(len(data))
        rows.append(np.full(len(best), r))
        cols.append(similarity.indices[start:end][best])
        vals.append(data[best])
    if not rows:
        return similarity
    out = csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=similarity.shape,
        dtype=np.float32,
    )
    return out
