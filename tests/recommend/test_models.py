"""Each recommender on a fixture with an obvious right answer; the metrics by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from unicx.recommend.blend import BlendConfig, fit_blend
from unicx.recommend.data import EmptyInteractions, Interactions
from unicx.recommend.evaluate import ap_at, ndcg_at, recall_at, temporal_split

NOW = datetime(2024, 6, 30, tzinfo=UTC)
MODELS = ("popularity", "cooccurrence", "als", "item_knn")


def _data(rows: list[tuple[str, str, str, float, float]]) -> Interactions:
    """rows: (person, item, kind, days ago, quantity)."""
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


def _two_tastes() -> Interactions:
    """Ten beer people buy b1..b4, ten tea people t1..t4; b_new/t_new are what each half of
    a group bought that the other half has not yet."""
    rows = []
    for n in range(10):
        group, items = (
            ("beer", ["b1", "b2", "b3", "b4"]) if n < 5 else ("tea", ["t1", "t2", "t3", "t4"])
        )
        person = f"{group}{n}"
        for i, item in enumerate(items):
            if (n % 5) != 0 or i < 2:  # person 0 of each group has only 2 items
                rows.append((person, item, "purchase", 10.0 + i, 1.0))
    return _data(rows)


def _only(name: str) -> BlendConfig:
    return replace(BlendConfig(half_life_days=None), weights={m: float(m == name) for m in MODELS})


@pytest.mark.parametrize("model", ["cooccurrence", "als", "item_knn"])
def test_each_personal_model_recommends_within_the_taste(model: str) -> None:
    data = _two_tastes()
    config = replace(_only(model), als_factors=4, als_iterations=30, als_regularization=0.01)
    blend = fit_blend(data, now=NOW, config=config)
    users, items = data.user_index(), data.items
    for person, prefix in (("beer0", "b"), ("tea5", "t")):
        recs = [items[i] for i, _ in blend.recommend([users[person]], k=2)[0]]
        assert sorted(recs) == [f"{prefix}3", f"{prefix}4"], (model, person, recs)


def test_popularity_with_decay_prefers_what_is_popular_now() -> None:
    rows = [(f"p{n}", "old_hit", "purchase", 300.0, 1.0) for n in range(10)]
    rows += [(f"q{n}", "new_hit", "purchase", 3.0, 1.0) for n in range(4)]
    data = _data(rows)
    decayed = fit_blend(data, now=NOW, config=replace(_only("popularity"), half_life_days=30))
    flat = fit_blend(data, now=NOW, config=_only("popularity"))
    assert data.items[decayed.popular(k=1)[0][0]] == "new_hit"
    assert data.items[flat.popular(k=1)[0][0]] == "old_hit"


def test_views_weigh_less_than_purchases() -> None:
    rows = [(f"v{n}", "viewed", "view", 1.0, 1.0) for n in range(5)]
    rows += [(f"b{n}", "bought", "purchase", 1.0, 1.0) for n in range(2)]
    blend = fit_blend(_data(rows), now=NOW, config=_only("popularity"))
    assert blend.data.items[blend.popular(k=1)[0][0]] == "bought"  # 2 x 8 x log 2 > 5 x 1


def test_seen_items_excluded_and_cold_people_get_trending() -> None:
    data = _two_tastes()
    blend = fit_blend(data, now=NOW, config=BlendConfig(half_life_days=None, als_factors=4))
    users = data.user_index()
    recs = [data.items[i] for i, _ in blend.recommend([users["beer1"]], k=10)[0]]
    assert not {"b1", "b2", "b3", "b4"} & set(recs)
    with_seen = blend.recommend([users["beer1"]], k=3, exclude_seen=False)[0]
    assert {data.items[i] for i, _ in with_seen} <= {"b1", "b2", "b3", "b4"}
    cold = blend.recommend([len(data.users) + 5], k=2)[0]
    assert {data.items[i] for i, _ in cold} <= {"b1", "b2", "t1", "t2"}  # bought by 5 each


def test_a_zero_weight_removes_a_model_and_items_have_neighbours() -> None:
    data = _two_tastes()
    blend = fit_blend(data, now=NOW, config=_only("item_knn"))
    assert set(blend.models) == {"popularity", "item_knn"}
    similar = [data.items[i] for i, _ in blend.similar(data.item_index()["b1"], k=3)]
    assert set(similar) == {"b2", "b3", "b4"}
    cart = [data.items[i] for i, _ in blend.recommend_for_items([data.item_index()["t1"]], k=2)]
    assert set(cart) <= {"t2", "t3", "t4"} and len(cart) == 2


def test_bad_rows_are_dropped_and_empty_input_refused() -> None:
    data = _data([("a", "x", "purchase", 1, 1.0), ("a", "y", "purchase", 1, float("nan")),
                  ("b", "z", "purchase", 1, -2.0), ("c", "w", "wishlist", 1, 1.0)])  # fmt: skip
    assert data.items == ["x"] and data.users == ["a"]
    with pytest.raises(EmptyInteractions):
        _data([("a", "x", "refund", 1, 1.0)])


def test_metrics_by_hand() -> None:
    ranked, targets = [5, 1, 7, 2], {1, 2, 9}
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal (3 hits) = 1 + 1/log2(3) + 1/2
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    assert ndcg_at(ranked, targets, 4) == pytest.approx(dcg / (1 + 1 / np.log2(3) + 0.5))
    assert recall_at(ranked, targets, 4) == pytest.approx(2 / 3)
    assert ap_at(ranked, targets, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert ndcg_at([], targets, 10) == 0.0


def test_the_split_keeps_the_future_out_of_training() -> None:
    rows = [("a", "x", "purchase", 20, 1.0), ("a", "y", "purchase", 2, 1.0),
            ("a", "x", "purchase", 1, 1.0), ("b", "y", "purchase", 1, 1.0)]  # fmt: skip
    data = _data(rows)
    cut = (NOW - timedelta(days=5)).timestamp()
    split = temporal_split(data, holdout_start=cut, holdout_end=NOW.timestamp())
    assert (split.train.ts < cut).all() and len(split.train.ts) == 1
    # a bought y (new) after the cut, x again (known: not a target); b had no history.
    assert split.users == [data.user_index()["a"]]
    assert split.targets == [{data.item_index()["y"]}]
