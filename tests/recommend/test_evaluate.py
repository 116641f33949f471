"""The offline evaluation: metrics computed by hand and a temporal split that never leaks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pytest

from tests.recommend.test_algorithms import NOW, Row, interactions
from unicx.recommend.evaluate import ap_at, evaluate, ndcg_at, recall_at, temporal_split

LOG2_3 = float(np.log2(3))


def test_ndcg_of_a_three_item_list_by_hand() -> None:
    # Hits at ranks 1 and 3 of 3, two targets: DCG = 1 + 1/log2(4) = 1.5;
    # ideal DCG (two hits at ranks 1, 2) = 1 + 1/log2(3).
    assert ndcg_at([7, 8, 9], {7, 9}, 3) == pytest.approx(1.5 / (1 + 1 / LOG2_3))
    assert ndcg_at([9, 7, 8], {7, 9}, 3) == pytest.approx(1.0)  # perfect
    assert ndcg_at([1, 2, 3], {7, 9}, 3) == 0.0
    assert ndcg_at([], {7}, 10) == 0.0


def test_recall_and_map_by_hand() -> None:
    ranked, targets = [5, 1, 7, 2], {1, 2, 9}
    dcg = 1 / LOG2_3 + 1 / np.log2(5)  # hits at ranks 2 and 4
    assert ndcg_at(ranked, targets, 4) == pytest.approx(dcg / (1 + 1 / LOG2_3 + 0.5))
    assert recall_at(ranked, targets, 4) == pytest.approx(2 / 3)
    # AP@4 = (precision@2 + precision@4) / min(4, 3) = (1/2 + 2/4) / 3
    assert ap_at(ranked, targets, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    # Only the first k count: at k=2 one hit of min(2, 3) possible.
    assert recall_at(ranked, targets, 2) == pytest.approx(1 / 3)
    assert ap_at(ranked, targets, 2) == pytest.approx((1 / 2) / 2)


def test_the_split_keeps_the_future_out_of_training() -> None:
    rows: list[Row] = [
        ("a", "x", "purchase", 20, 1.0),
        ("a", "z", "view", 15, 1.0),
        ("a", "y", "purchase", 2, 1.0),  # new for a: a target
        ("a", "x", "purchase", 1, 1.0),  # bought before: not a target
        ("a", "z", "purchase", 1, 1.0),  # viewed before: known, not a target
        ("a", "w", "view", 1, 1.0),  # only viewed: not a target
        ("b", "y", "purchase", 1, 1.0),  # no history before the split: not evaluated
        ("c", "x", "purchase", 30, 1.0),
        ("c", "y", "purchase", 0.5, 1.0),  # after the holdout's end
    ]
    data = interactions(rows)
    cut, end = (NOW - timedelta(days=5)).timestamp(), (NOW - timedelta(days=0.75)).timestamp()
    split = temporal_split(data, holdout_start=cut, holdout_end=end)
    assert (split.train.ts < cut).all() and len(split.train.ts) == 3
    assert split.users == [data.user_index()["a"]]
    assert split.targets == [{data.item_index()["y"]}]


def test_evaluate_averages_over_people_and_measures_coverage() -> None:
    rows: list[Row] = [(p, i, "purchase", 10, 1.0) for p, i in (("a", "x"), ("b", "x"))]
    rows += [(p, i, "purchase", 1, 1.0) for p, i in (("a", "y"), ("b", "z"), ("b", "w"))]
    rows += [("c", "v", "purchase", 10, 1.0)]  # an item nobody is recommended
    data = interactions(rows)
    split = temporal_split(data, holdout_start=(NOW - timedelta(days=5)).timestamp(),
                           holdout_end=NOW.timestamp())  # fmt: skip
    item = data.item_index()
    lists = {
        data.user_index()["a"]: [item["y"], item["z"]],  # hit at rank 1 of 1 target
        data.user_index()["b"]: [item["y"], item["z"]],
    }  # hit at rank 2 of 2 targets

    def recommend(users: Sequence[int], k: int) -> list[list[int]]:
        return [lists[u][:k] for u in users]

    got = evaluate(split, recommend, k=2)
    assert got["users"] == 2
    assert got["recall@2"] == pytest.approx((1 + 1 / 2) / 2)
    assert got["ndcg@2"] == pytest.approx((1 + (1 / LOG2_3) / (1 + 1 / LOG2_3)) / 2)
    assert got["map@2"] == pytest.approx((1 + (1 / 2) / 2) / 2)
    assert got["coverage"] == pytest.approx(2 / 5)  # y and z of v, w, x, y, z


def test_a_split_without_anyone_to_evaluate_is_refused() -> None:
    data = interactions([("a", "x", "purchase", 10, 1.0)])
    split = temporal_split(data, holdout_start=(NOW - timedelta(days=5)).timestamp(),
                           holdout_end=NOW.timestamp())  # fmt: skip
    assert split.users == []
    with pytest.raises(ValueError, match="nobody to evaluate"):
        evaluate(split, lambda users, k: [[] for _ in users])
