"""Offline evaluation of the recommenders on the real UCI Online Retail purchases.

    .venv/bin/python bench/recommend.py

Data: ../shared/data/online_retail_uci.csv.gz (see its README): purchase lines with a customer,
cancellations and non-positive quantities or prices left out; the item is the StockCode; the
category (used by diversity rules only) is the description's last word. Protocol
(unicx.recommend.evaluate): the last 4 weeks (from 2011-11-11) are the test period; every
hyper-parameter and blend weight is tuned on the 4 weeks before (2011-10-14 .. 11-11) with
models trained on what came before that, then the models are refitted on everything before the
test period. Baselines in the same run: popularity (trending) and plain ``implicit`` ALS with
its default parameters on the binary purchase matrix. Target: blend NDCG@10 >= 1.10 x plain
ALS and >= 1.50 x popularity. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from threadpoolctl import threadpool_limits

from unicx.recommend.blend import Blend, BlendConfig, fit_blend
from unicx.recommend.data import Interactions
from unicx.recommend.evaluate import Split, evaluate, temporal_split

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FILE = DATA / "online_retail_uci.csv.gz"
TEST_START = datetime(2011, 11, 11, tzinfo=UTC)
VALID_START = datetime(2011, 10, 14, tzinfo=UTC)
END = datetime(2011, 12, 10, tzinfo=UTC)
MODELS = ("popularity", "cooccurrence", "als", "item_knn")


def load() -> Interactions:
    table = duckdb.sql(
        f"""
        SELECT CAST(CustomerID AS VARCHAR) AS profile_id, StockCode AS item_id,
               'purchase' AS kind, CAST(InvoiceDate AS TIMESTAMP) AT TIME ZONE 'UTC' AS ts,
               CAST(Quantity AS DOUBLE) AS quantity,
               upper(regexp_extract(trim(Description), '([A-Za-z]+)$', 1)) AS category
        FROM read_csv('{FILE}', header = true, all_varchar = true)
        WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C')
          AND TRY_CAST(Quantity AS DOUBLE) > 0 AND TRY_CAST(UnitPrice AS DOUBLE) > 0
        """
    ).to_arrow_table()
    categories = dict(zip(table["item_id"].to_pylist(), table["category"].to_pylist(),
                          strict=True))  # fmt: skip
    return Interactions.from_arrow(table.drop(["category"]), categories=categories)


def blend_recommender(blend: Blend) -> Any:
    def recommend(users: Sequence[int], k: int) -> list[list[int]]:
        return [[i for i, _ in row] for row in blend.recommend(users, k=k)]

    return recommend


def only(config: BlendConfig, name: str) -> BlendConfig:
    return replace(config, weights={m: 1.0 if m == name else 0.0 for m in MODELS})


def plain_als(split: Split) -> Any:
    """``implicit`` ALS exactly as its README shows it: default parameters, binary matrix."""
    from implicit.als import AlternatingLeastSquares

    matrix = split.train.matrix(event_weights={"purchase": 1.0}, now=END)
    matrix.data[:] = 1.0
    model = AlternatingLeastSquares(random_state=7)
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)

    def recommend(users: Sequence[int], k: int) -> list[list[int]]:
        ids, _ = model.recommend(np.asarray(users), matrix[users], N=k)
        return [list(map(int, row)) for row in ids]

    return recommend


def tune(data: Interactions, log: list[str]) -> BlendConfig:
    """Coordinate search on the validation period, one model's parameters at a time, then
    the blend weights over a grid (models fitted once per setting)."""
    split = temporal_split(data, holdout_start=VALID_START.timestamp(),
                           holdout_end=TEST_START.timestamp())  # fmt: skip
    config = BlendConfig()

    def score(cfg: BlendConfig) -> float:
        blend = fit_blend(split.train, now=VALID_START, config=cfg)
        return evaluate(split, blend_recommender(blend))["ndcg@10"]

    grids: dict[str, list[dict[str, Any]]] = {
        "half_life_days": [{"half_life_days": h} for h in (None, 30.0, 90.0, 365.0)],
        "als": [{"als_factors": f, "als_regularization": r, "als_alpha": a}
                for f, r, a in itertools.product((32, 64, 128), (0.05, 1.0), (1.0, 5.0))],
        "item_knn": [{"knn_k": k} for k in (20, 100, 400)],
        "cooccurrence": [{"cooccurrence_shrink": s} for s in (0.0, 10.0, 50.0)],
    }  # fmt: skip
    for what, options in grids.items():
        model = "als" if what == "half_life_days" else what
        best = max(options, key=lambda o: score(only(replace(config, **o), model)))
        config = replace(config, **best)
        log.append(f"tuned {what}: {best}")
    blend = fit_blend(split.train, now=VALID_START, config=config)
    best_weights, best_score = dict(config.weights), -1.0
    for combo in itertools.product((0.0, 0.3, 1.0), (0.0, 0.5, 1.0, 2.0), (0.5, 1.0, 2.0),
                                   (0.0, 0.5, 1.0, 2.0)):  # fmt: skip
        weights = dict(zip(MODELS, combo, strict=True))
        blend.config = replace(config, weights=weights)
        got = evaluate(split, blend_recommender(blend))["ndcg@10"]
        if got > best_score:
            best_weights, best_score = weights, got
    log.append(f"tuned weights: {best_weights} (validation ndcg@10 {best_score:.4f})")
    return replace(config, weights=best_weights)


def main() -> None:
    started = time.perf_counter()
    data = load()
    took = time.perf_counter() - started
    print(f"{len(data.user_idx):,} purchase lines, {len(data.users):,} customers, "
          f"{len(data.items):,} items (loaded in {took:.1f} s)")  # fmt: skip
    log: list[str] = []
    started = time.perf_counter()
    config = tune(data, log)
    print("\n".join(log) + f"\n(tuning {time.perf_counter() - started:.0f} s)")
    split = temporal_split(data, holdout_start=TEST_START.timestamp(),
                           holdout_end=END.timestamp())  # fmt: skip
    print(f"test: {len(split.users):,} customers with new items bought from {TEST_START:%Y-%m-%d}")
    results: dict[str, dict[str, float]] = {}
    candidates: dict[str, Any] = {"als_default": lambda: plain_als(split)}
    for name in MODELS:
        candidates[name] = lambda n=name: blend_recommender(
            fit_blend(split.train, now=TEST_START, config=only(config, n))
        )
    candidates["blend"] = lambda: blend_recommender(
        fit_blend(split.train, now=TEST_START, config=config)
    )
    for name, build in candidates.items():
        t0 = time.perf_counter()
        recommend = build()
        fit_s = time.perf_counter() - t0
        metrics = evaluate(split, recommend)
        results[name] = {k: round(v, 4) for k, v in metrics.items() if k != "users"}
        results[name]["seconds"] = round(time.perf_counter() - t0, 2)
        print(f"{name:13} ndcg@10 {metrics['ndcg@10']:.4f}  recall@10 {metrics['recall@10']:.4f}"
              f"  map@10 {metrics['map@10']:.4f}  coverage {metrics['coverage']:.3f}"
              f"  (fit {fit_s:.1f} s)")  # fmt: skip
    blend_ndcg = results["blend"]["ndcg@10"]
    ratios = {
        "blend_vs_als_default": round(blend_ndcg / results["als_default"]["ndcg@10"], 3),
        "blend_vs_popularity": round(blend_ndcg / results["popularity"]["ndcg@10"], 3),
    }
    met = ratios["blend_vs_als_default"] >= 1.10 and ratios["blend_vs_popularity"] >= 1.50
    print(f"blend vs plain ALS x{ratios['blend_vs_als_default']} (target 1.10), "
          f"vs popularity x{ratios['blend_vs_popularity']} (target 1.50): "
          f"{'met' if met else 'NOT met'}")  # fmt: skip
    print(json.dumps({
        "models": results,
        "ratios": ratios,
        "targets_met": met,
        "config": {k: v for k, v in config.__dict__.items() if k != "event_weights"},
        "split": {"test_start": TEST_START.date().isoformat(), "end": END.date().isoformat(),
                  "validation_start": VALID_START.date().isoformat(),
                  "test_customers": len(split.users)},
    }, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
