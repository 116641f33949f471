"""The blend: weights, seen items, cold start, similar items, carts and group trending."""

from __future__ import annotations

from dataclasses import replace

from tests.recommend.test_algorithms import FLAT, NOW, Row, interactions, only, two_tastes
from unicx.recommend.blend import fit_blend
from unicx.recommend.data import Interactions

SMALL = replace(FLAT, als_factors=4, als_iterations=30, als_regularization=0.01)


def names(data: Interactions, recs: list[tuple[int, float]]) -> list[str]:
    return [data.items[i] for i, _ in recs]


def test_seen_items_are_excluded_unless_asked() -> None:
    data = two_tastes()
    blend = fit_blend(data, now=NOW, config=SMALL)
    beer1 = data.user_index()["beer1"]
    recs = names(data, blend.recommend([beer1], k=10)[0])
    assert recs and not {"b1", "b2", "b3", "b4"} & set(recs)
    with_seen = names(data, blend.recommend([beer1], k=3, exclude_seen=False)[0])
    assert set(with_seen) <= {"b1", "b2", "b3", "b4"} and len(with_seen) == 3


def test_cold_and_unknown_people_get_trending() -> None:
    rows: list[Row] = [(f"p{n}", "x", "purchase", 1.0, 1.0) for n in range(5)]
    rows += [(f"p{n}", "y", "purchase", 1.0, 1.0) for n in range(3)]
    rows += [("p0", "z", "purchase", 1.0, 1.0), ("lurker", "z", "view", 1.0, 1.0)]
    data = interactions(rows)
    blend = fit_blend(data, now=NOW, config=SMALL)
    assert names(data, blend.popular(k=2)) == ["x", "y"]
    for user in (len(data.users) + 5, -1):
        assert names(data, blend.recommend([user], k=2)[0]) == ["x", "y"]
    # Someone who only viewed z gets trending too, z itself excluded.
    lurker = names(data, blend.recommend([data.user_index()["lurker"]], k=2)[0])
    assert lurker == ["x", "y"]


def test_scores_are_ordered_and_k_is_respected() -> None:
    data = two_tastes()
    blend = fit_blend(data, now=NOW, config=SMALL)
    for row in blend.recommend(range(len(data.users)), k=3):
        scores = [score for _, score in row]
        assert len(row) <= 3 and scores == sorted(scores, reverse=True)


def test_a_zero_weight_removes_a_model() -> None:
    data = two_tastes()
    blend = fit_blend(data, now=NOW, config=only("item_knn"))
    assert set(blend.models) == {"popularity", "item_knn"}
    # Popularity at weight 0 next to kNN: the same lists as kNN alone (fitted once).
    with_zero = replace(only("item_knn"), weights={"popularity": 0.0, "item_knn": 1.0})
    users = list(range(len(data.users)))
    assert fit_blend(data, now=NOW, config=with_zero).recommend(users, k=4) == blend.recommend(
        users, k=4
    )


def test_weights_steer_the_blend() -> None:
    """beer0 lacks b3 and b4 (four buyers each, all beer people) while t1, t2 have five
    buyers each: popularity says "tea", kNN says "beer"; the heavier weight wins."""
    data = two_tastes()
    beer0 = data.user_index()["beer0"]
    knn_heavy = {"popularity": 0.1, "item_knn": 5.0}
    pop_heavy = {"popularity": 5.0, "item_knn": 0.1}
    recs = {}
    for label, weights in (("knn", knn_heavy), ("pop", pop_heavy)):
        config = replace(only("item_knn"), weights=weights)
        recs[label] = names(
            data, fit_blend(data, now=NOW, config=config).recommend([beer0], k=2)[0]
        )
    assert sorted(recs["knn"]) == ["b3", "b4"]
    assert sorted(recs["pop"]) == ["t1", "t2"]


def test_similar_items_are_bought_or_viewed_together() -> None:
    """A and B are bought together by 10 people; C is only viewed with A, by 3 people."""
    rows: list[Row] = [(f"p{n}", i, "purchase", 1.0, 1.0) for n in range(10) for i in "AB"]
    rows += [(f"v{n}", i, "view", 1.0, 1.0) for n in range(3) for i in "AC"]
    rows += [(f"z{n}", "Z", "purchase", 1.0, 1.0) for n in range(30)]  # popular, unrelated
    data = interactions(rows)
    blend = fit_blend(data, now=NOW, config=FLAT)
    a = data.item_index()["A"]
    assert names(data, blend.similar(a, k=5)) == ["B", "C"]  # Z is never "similar"
    assert names(data, blend.similar(data.item_index()["C"], k=1)) == ["A"]
    assert blend.similar(len(data.items), k=3) == [] and blend.similar(-1, k=3) == []
    # Only what is bought together: viewed together at weight 0.
    bought = replace(blend.config, similar_weights={"bought_together": 1.0})
    assert names(data, fit_blend(data, now=NOW, config=bought).similar(a, k=5)) == ["B"]


def test_a_cart_gets_its_complements_then_trending() -> None:
    data = two_tastes()
    blend = fit_blend(data, now=NOW, config=SMALL)
    index = data.item_index()
    cart = names(data, blend.recommend_for_items([index["t1"]], k=3))
    assert sorted(cart) == ["t2", "t3", "t4"]
    excluded = names(data, blend.recommend_for_items([index["t1"]], k=2, exclude=[index["t2"]]))
    assert sorted(excluded) == ["t3", "t4"]
    # An empty or unknown cart: trending.
    assert blend.recommend_for_items([], k=2) == blend.popular(k=2)
    assert blend.recommend_for_items([999], k=2) == blend.popular(k=2)


def test_trending_within_a_group_of_people() -> None:
    rows: list[Row] = [(f"vn{n}", "pho", "purchase", 1.0, 1.0) for n in range(3)]
    rows += [(f"uk{n}", "tea", "purchase", 1.0, 1.0) for n in range(5)]
    data = interactions(rows)
    blend = fit_blend(data, now=NOW, config=only("popularity"))
    users = data.user_index()
    assert names(data, blend.popular(k=1)) == ["tea"]
    vietnam = [users[f"vn{n}"] for n in range(3)]
    assert names(data, blend.popular(k=2, users=vietnam)) == ["pho"]  # nothing else bought
