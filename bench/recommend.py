"""Offline evaluation of the recommenders on the real UCI Online Retail purchases.

    .venv/bin/python bench/recommend.py [--quick]   # --quick: no tuning, the product defaults

Data: ../shared/data/online_retail_uci.csv.gz (see its README): purchase lines with a customer,
cancellations and non-positive quantities or prices left out; the item is the StockCode; the
category (used by diversity rules only) is the description's last word. Protocol
(unicx.recommend.evaluate): the last 4 weeks (from 2011-11-11) are the test period; every
hyper-parameter and blend weight is tuned on the 4 weeks before (2011-10-14 .. 11-11) with
models trained on what came before that, then the models are refitted on everything before the
test period. Baselines in the same run, both untuned: popularity (items by number of buyers
in the training period, no decay) and plain ``implicit`` ALS with its default parameters on the
binary purchase matrix. "trending" is unicx's tuned, time-decayed popularity model. Target:
blend NDCG@10 >= 1.10 x plain ALS and >= 1.50 x popularity. The last line is one JSON object
with the figures.
"""

from __future__ import annotations

import itertools
import json
import sys
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
TUNE_SECONDS = 360  # the coordinate search stops trying more settings past this


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


def _search(
    config: BlendConfig,
    options: list[dict[str, Any]],
    score: Any,
    *,
    deadline: float,
) -> tuple[dict[str, Any], float, int]:
    """The best of ``options`` (first wins ties) and how many were tried before ``deadline``."""
    best, best_score, tried = options[0], -1.0, 0
    for option in options:
        if time.perf_counter() > deadline:
            break
        tried += 1
        got = score(replace(config, **option))
        if got > best_score:
            best, best_score = option, got
    return best, best_score, tried


def plain_popularity(split: Split) -> Any:
    """The textbook baseline: items by number of buyers in the training period, no decay."""
    buyers = np.asarray(split.train.binary(["purchase"]).sum(axis=0)).ravel()
    ranked = [int(i) for i in np.argsort(-buyers, kind="stable")]
    seen = split.train.binary()

    def recommend(users: Sequence[int], k: int) -> list[list[int]]:
        out = []
        for u in users:
            known = set(seen[u].indices.tolist())
            out.append([i for i in ranked[: k + len(known)] if i not in known][:k])
        return out

    return recommend


def tune(data: Interactions, log: list[str]) -> BlendConfig:
    """Coordinate search on the validation period, one model's parameters at a time (that
    model alone in the blend), then the blend weights over a grid (models fitted once), then
    the half-life again for the whole blend. Time-boxed: a grid past its budget stops."""
    split = temporal_split(data, holdout_start=VALID_START.timestamp(),
                           holdout_end=TEST_START.timestamp())  # fmt: skip
    config = BlendConfig()
    deadline = time.perf_counter() + TUNE_SECONDS

    def score(model: str | None) -> Any:
        def run(cfg: BlendConfig) -> float:
            cfg = cfg if model is None else only(cfg, model)
            blend = fit_blend(split.train, now=VALID_START, config=cfg)
            return evaluate(split, blend_recommender(blend))["ndcg@10"]

        return run

    grids: dict[str, list[dict[str, Any]]] = {
        "half_life_days": [{"half_life_days": h} for h in (None, 14.0, 30.0, 90.0, 365.0)],
        "popularity": [{"trending_half_life_days": h} for h in (None, 3.0, 7.0, 14.0, 30.0)],
        "als": [{"als_factors": f, "als_regularization": r, "als_alpha": a, "als_bm25": b}
                for b, f, r, a in itertools.product((False, True), (16, 32, 64, 128),
                                                    (0.01, 0.05, 0.5), (1.0, 5.0))],
        "item_knn": [{"knn_k": k, "knn_k1": k1, "knn_b": b}
                     for k, k1, b in itertools.product((10, 20, 50, 100), (0.6, 1.2, 2.0),
                                                       (0.5, 0.75, 1.0))],
        "cooccurrence": [{"cooccurrence_shrink": s} for s in (0.0, 10.0, 50.0)],
    }  # fmt: skip
    for what, options in grids.items():
        model = "als" if what == "half_life_days" else what
        best, got, tried = _search(config, options, score(model), deadline=deadline)
        config = replace(config, **best)
        log.append(f"tuned {what}: {best} (validation ndcg@10 {got:.4f}; "
                   f"{tried} of {len(options)} settings tried)")  # fmt: skip
    blend = fit_blend(split.train, now=VALID_START, config=config)
    best_weights, best_score = dict(config.weights), -1.0
    for combo in itertools.product((0.0, 0.3, 1.0), (0.0, 0.5, 1.0, 2.0), (0.5, 1.0, 2.0),
                                   (0.0, 0.5, 1.0, 2.0)):  # fmt: skip
        weights = dict(zip(MODELS, combo, strict=True))
        blend.config = replace(config, weights=weights)
        got = evaluate(split, blend_recommender(blend))["ndcg@10"]
        if got > best_score:
            best_weights, best_score = weights, got
    config = replace(config, weights=best_weights)
    log.append(f"tuned weights: {best_weights} (validation ndcg@10 {best_score:.4f})")
    for constant in (5.0, 60.0):
        blend.config = replace(config, rank_constant=constant)
        got = evaluate(split, blend_recommender(blend))["ndcg@10"]
        if got > best_score:
            config, best_score = replace(config, rank_constant=constant), got
    log.append(f"tuned rank_constant: {config.rank_constant} (validation ndcg@10 {best_score:.4f})")
    options = [{"half_life_days": h} for h in (config.half_life_days, None, 30.0, 90.0)]
    best, got, _ = _search(config, options, score(None), deadline=deadline + 60)
    log.append(f"tuned blend half_life_days: {best} (validation ndcg@10 {got:.4f})")
    return replace(config, **best)


def main() -> None:
    # --quick (make bench-quick): the product's defaults, which an earlier full run tuned,
    # instead of tuning again; every baseline and model is still fitted and scored here.
    quick = "--quick" in sys.argv[1:]
    begun = started = time.perf_counter()
    data = load()
    took = time.perf_counter() - started
    print(f"{len(data.user_idx):,} purchase lines, {len(data.users):,} customers, "
          f"{len(data.items):,} items (loaded in {took:.1f} s)")  # fmt: skip
    log: list[str] = []
    started = time.perf_counter()
    config = BlendConfig() if quick else tune(data, log)
    print("\n".join(log) + f"\n(tuning {time.perf_counter() - started:.0f} s)")
    split = temporal_split(data, holdout_start=TEST_START.timestamp(),
                           holdout_end=END.timestamp())  # fmt: skip
    print(f"test: {len(split.users):,} customers with new items bought from {TEST_START:%Y-%m-%d}")
    results: dict[str, dict[str, float]] = {}
    candidates: dict[str, Any] = {
        "popularity": lambda: plain_popularity(split),
        "als_default": lambda: plain_als(split),
    }
    for name in ("trending", *MODELS[1:]):
        candidates[name] = lambda n=name: blend_recommender(
            fit_blend(
                split.train,
                now=TEST_START,
                config=only(config, "popularity" if n == "trending" else n),
            )
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
        results[name]["fit_seconds"] = round(fit_s, 2)
        print(f"{name:13} ndcg@10 {metrics['ndcg@10']:.4f}  recall@10 {metrics['recall@10']:.4f}"
              f"  map@10 {metrics['map@10']:.4f}  coverage {metrics['coverage']:.3f}"
              f"  (fit {fit_s:.1f} s)")  # fmt: skip
    blend_ndcg = results["blend"]["ndcg@10"]
    ratios = {
        "blend_vs_als_default": round(blend_ndcg / results["als_default"]["ndcg@10"], 3),
        "blend_vs_popularity": round(blend_ndcg / results["popularity"]["ndcg@10"], 3),
        "blend_vs_trending": round(blend_ndcg / results["trending"]["ndcg@10"], 3),
        "blend_vs_als": round(blend_ndcg / results["als"]["ndcg@10"], 3),
    }
    met = ratios["blend_vs_als_default"] >= 1.10 and ratios["blend_vs_popularity"] >= 1.50
    print(f"blend vs plain ALS x{ratios['blend_vs_als_default']} (target 1.10), "
          f"vs popularity x{ratios['blend_vs_popularity']} (target 1.50): "
          f"{'met' if met else 'NOT met'}; vs tuned trending x{ratios['blend_vs_trending']}, "
          f"vs tuned ALS x{ratios['blend_vs_als']}")  # fmt: skip
    print(json.dumps({
        "models": results,
        "ratios": ratios,
        "targets_met": met,
        "config": {k: v for k, v in config.__dict__.items() if k != "event_weights"},
        "split": {"test_start": TEST_START.date().isoformat(), "end": END.date().isoformat(),
                  "validation_start": VALID_START.date().isoformat(),
                  "test_customers": len(split.users), "holdout_weeks": 4},
        "seconds": round(time.perf_counter() - begun, 1),
    }, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
