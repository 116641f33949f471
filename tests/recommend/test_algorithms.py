"""The interactions input and each candidate model on a fixture with an obvious right answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy.sparse import csr_matrix

from unicx.recommend.algorithms import CoOccurrence, keep_top
from unicx.recommend.blend import BlendConfig, fit_blend
from unicx.recommend.data import EmptyInteractions, Interactions

NOW = datetime(2024, 6, 30, tzinfo=UTC)
MODELS = ("popularity", "cooccurrence", "als", "item_knn")
Row = tuple[str, str, str, float, float]
FLAT = BlendConfig(half_life_days=None, trending_half_life_days=None)  # no time decay


def interactions(rows: list[Row]) -> Interactions:
    """rows: (person, item, kind, days before NOW, quantity)."""
    return Interactions.from_arrow(
        pa.table(
            {
                "profile_id": [r[0] for r in rows],
                "item_id": [r[1] for r in rows],
                "kind": [r[2] for r in rows],
                "ts": pa.array(
                    [NOW - timedelta(days=r[3]) for r in rows], pa.timestamp("us", "UTC")
                ),
                "quantity": [r[4] for r in rows],
            }
        )
    )


def two_tastes() -> Interactions:
    """Five beer people buy b1..b4, five tea people t1..t4, except the first of each group
    who has bought only b1, b2 (t1, t2): b3, b4 (t3, t4) are what they are missing."""
    rows: list[Row] = []
    for n in range(10):
        group = "beer" if n < 5 else "tea"
        items = [f"{group[0]}{i}" for i in range(1, 5)]
        for i, item in enumerate(items):
            if (n % 5) != 0 or i < 2:
                rows.append((f"{group}{n}", item, "purchase", 10.0 + i, 1.0))
    return interactions(rows)


def only(name: str, **changes: object) -> BlendConfig:
    weights = {m: float(m == name) for m in MODELS}
    return replace(FLAT, weights=weights, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "bm25"), [("cooccurrence", False), ("als", False), ("als", True), ("item_knn", False)]
)
def test_each_personal_model_recovers_the_two_tastes(model: str, bm25: bool) -> None:
    data = two_tastes()
    config = only(model, als_factors=4, als_iterations=30, als_regularization=0.01, als_bm25=bm25)
    blend = fit_blend(data, now=NOW, config=config)
    users, items = data.user_index(), data.items
    for person, prefix in (("beer0", "b"), ("tea5", "t")):
        recs = [items[i] for i, _ in blend.recommend([users[person]], k=2)[0]]
        assert sorted(recs) == [f"{prefix}3", f"{prefix}4"], (model, person, recs)


def test_popularity_with_decay_prefers_what_is_popular_now() -> None:
    rows: list[Row] = [(f"p{n}", "old_hit", "purchase", 300.0, 1.0) for n in range(10)]
    rows += [(f"q{n}", "new_hit", "purchase", 3.0, 1.0) for n in range(4)]
    data = interactions(rows)
    decayed = fit_blend(data, now=NOW, config=only("popularity", trending_half_life_days=30.0))
    flat = fit_blend(data, now=NOW, config=only("popularity"))
    assert data.items[decayed.popular(k=1)[0][0]] == "new_hit"
    assert data.items[flat.popular(k=1)[0][0]] == "old_hit"


def test_views_weigh_less_than_purchases() -> None:
    rows: list[Row] = [(f"v{n}", "viewed", "view", 1.0, 1.0) for n in range(5)]
    rows += [(f"b{n}", "bought", "purchase", 1.0, 1.0) for n in range(2)]
    blend = fit_blend(interactions(rows), now=NOW, config=only("popularity"))
    assert blend.data.items[blend.popular(k=1)[0][0]] == "bought"  # 2 x 8 x ln 2 > 5 x 1


def test_matrix_weights_by_kind_quantity_and_half_life() -> None:
    data = interactions([("a", "x", "purchase", 30.0, 1.0), ("a", "x", "view", 0.0, 1.0),
                         ("b", "x", "add", 60.0, 1.0)])  # fmt: skip
    m = data.matrix(event_weights={"view": 1.0, "add": 3.0, "purchase": 8.0},
                    half_life_days=30.0, now=NOW).toarray()  # fmt: skip
    # a: a purchase one half-life ago (8 x ln 2 x 1/2) plus a view today (1); b: 3 x 1/4.
    assert m[0, 0] == pytest.approx(8 * np.log(2) / 2 + 1, rel=1e-5)
    assert m[1, 0] == pytest.approx(0.75, rel=1e-5)
    assert m.dtype == np.float32


def test_bought_together_beats_a_rare_coincidence() -> None:
    """A and B are bought together by 20 people; A and C once, by the only buyer of C."""
    rows: list[Row] = [(f"p{n}", i, "purchase", 1.0, 1.0) for n in range(20) for i in "AB"]
    rows += [("p0", "C", "purchase", 1.0, 1.0)]
    data = interactions(rows)
    model = CoOccurrence(shrink=10.0)
    model.fit(data.binary(["purchase"]))
    a, b, c = (data.item_index()[i] for i in "ABC")
    # cosine(A, B) = 20 / (sqrt(20 x 20) + 10); cosine(A, C) = 1 / (sqrt(20 x 1) + 10)
    assert model.similarity[a, b] == pytest.approx(20 / 30)
    assert model.similarity[a, c] == pytest.approx(1 / (np.sqrt(20) + 10))
    assert model.similarity[a, a] == 0  # an item is not its own neighbour


def test_keep_top_keeps_each_rows_best() -> None:
    sim = csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float32))
    top = keep_top(sim, 2).toarray()
    assert top.tolist() == [[0, 3, 0, 2], [5, 0, 0, 0], [0, 0, 0, 0]]


def test_binary_selects_kinds() -> None:
    data = interactions([("a", "x", "view", 1, 1.0), ("a", "y", "purchase", 1, 3.0),
                         ("a", "y", "purchase", 2, 1.0)])  # fmt: skip
    assert data.binary(["purchase"]).toarray().tolist() == [[0.0, 1.0]]
    assert data.binary(["view", "add"]).toarray().tolist() == [[1.0, 0.0]]


def test_bad_rows_are_dropped_and_counted() -> None:
    nan, inf = float("nan"), float("inf")
    rows: list[Row] = [("a", "x", "purchase", 1, 1.0), ("a", "y", "purchase", 1, nan),
                       ("b", "z", "purchase", 1, -2.0), ("c", "w", "wishlist", 1, 1.0),
                       ("d", "v", "purchase", 1, 0.0), ("e", "u", "view", 1, inf)]  # fmt: skip
    data = interactions(rows)
    assert data.items == ["x"] and data.users == ["a"] and data.dropped == 5


def test_missing_ids_times_and_quantity() -> None:
    table = pa.table({
        "profile_id": ["a", None, "b", "c"], "item_id": ["x", "x", None, "y"],
        "kind": ["view", "view", "view", "add"],
        "ts": pa.array([NOW, NOW, NOW, None], pa.timestamp("us", "UTC")),
    })  # fmt: skip
    data = Interactions.from_arrow(table)  # no quantity column: one unit each
    assert (data.users, data.items, data.quantity.tolist(), data.dropped) == (
        ["a"],
        ["x"],
        [1.0],
        3,
    )


def test_empty_or_malformed_input_is_refused_clearly() -> None:
    with pytest.raises(EmptyInteractions, match="no usable interactions"):
        interactions([("a", "x", "refund", 1, 1.0)])
    assert issubclass(EmptyInteractions, ValueError)
    with pytest.raises(ValueError, match="missing: \\['ts'\\]"):
        Interactions.from_arrow(pa.table({"profile_id": ["a"], "item_id": ["x"], "kind": ["view"]}))
    bad_time = pa.table({"profile_id": ["a"], "item_id": ["x"], "kind": ["view"], "ts": ["soon"]})
    with pytest.raises(ValueError, match="wrong type"):
        Interactions.from_arrow(bad_time)
