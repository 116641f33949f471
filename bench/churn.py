"""Churn propensity and lookalike audiences on the real UCI Online Retail orders.

    .venv/bin/python bench/churn.py

The workspace comes from bench/uci.py (built once, cached) and is copied to a temporary
directory, so this run's models and segments never touch the cache. ``now`` is 2011-12-10
(the day after the last invoice), horizon 90 days: the model trains on buyers at 2011-06-13
(label: an order before 2011-09-11?), is evaluated on buyers at 2011-09-11 (label: an order
before 2011-12-10?), and the same run reports the baseline, recency alone (days since the last
order), on the same test examples.

Lookalikes, two seeds: the "High-value customers" template (top 10 % by revenue: easy, the
features contain revenue) and the buyers of the best-selling product, 85123A "WHITE HANGING
HEART T-LIGHT HOLDER" (no feature names a product). For each: held-out seed recall at the
audience size (top 5 % of the rest), the random recall, and the held-out AUC.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from uci import NOW, uci_workspace
from unicx.config import load_settings
from unicx.predict.churn import train
from unicx.predict.lookalike import build_lookalike
from unicx.segments.models import SegmentCreate
from unicx.segments.service import SegmentService
from unicx.segments.templates import create_from_template
from unicx.workspace import open_store

PRODUCT = "85123A"
TOP_PERCENT = 5.0


def _churn(store: Any, settings: Any) -> dict[str, Any]:
    started = time.perf_counter()
    result = train(store, settings, now=NOW)
    if result.status != "active":
        raise SystemExit(f"churn rejected: {result.message}")
    m = result.metrics
    print(f"churn ({time.perf_counter() - started:.1f} s, {m['calibration']} calibration, "
          f"look-back {m['lookback_days']} d)", file=sys.stderr)  # fmt: skip
    print(f"  train examples {m['train_examples']:,} (churn rate {m['train_base_rate']:.3f}), "
          f"test examples {m['test_examples']:,} (churn rate {m['base_rate']:.3f})",
          file=sys.stderr)  # fmt: skip
    print(f"  AUC {m['auc']:.4f} vs recency alone {m['baseline_recency_auc']:.4f}; "
          f"Brier {m['brier']:.4f} vs {m['baseline_brier']:.4f} (base rate); "
          f"log loss {m['log_loss']:.4f}", file=sys.stderr)  # fmt: skip
    print("  reliability: bin, count, mean predicted, observed", file=sys.stderr)
    for b in m["reliability"]:
        print(
            f"    {b['bin']}  {b['count']:>5}  {b['predicted']}  {b['observed']}", file=sys.stderr
        )
    keep = ("auc", "brier", "log_loss", "base_rate", "train_base_rate", "baseline_recency_auc",
            "baseline_brier", "train_examples", "test_examples", "calibration", "lookback_days",
            "scored", "reliability")  # fmt: skip
    return {k: m[k] for k in keep} | {"seconds": round(time.perf_counter() - started, 2)}


def _lookalike(store: Any, settings: Any, seed: str, label: str) -> dict[str, Any]:
    run = build_lookalike(store, settings, seed, top_percent=TOP_PERCENT, now=NOW)
    seed = label
    rec = run.recovery
    print(f"lookalike of {seed!r} ({run.seed_size:,} seed, {run.candidates:,} candidates, "
          f"top {TOP_PERCENT:g}% = {run.audience:,}): held-out recall {rec.recall_at_top:.3f} "
          f"vs random {rec.random_recall:.3f}, precision {rec.precision_at_top:.3f}, "
          f"AUC {rec.auc:.4f} ({run.seconds:.1f} s)", file=sys.stderr)  # fmt: skip
    return {
        "seed_size": run.seed_size,
        "candidates": run.candidates,
        "audience": run.audience,
        "holdout": rec.holdout,
        "holdout_recall_at_top": rec.recall_at_top,
        "random_recall": rec.random_recall,
        "holdout_precision_at_top": rec.precision_at_top,
        "auc": rec.auc,
        "seconds": run.seconds,
    }


def main() -> None:
    cached = uci_workspace()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "ws"
        shutil.copytree(cached.workspace, target)
        settings = load_settings(workspace=target)
        store = open_store(settings)
        try:
            churn = _churn(store, settings)
            service = SegmentService(store, settings)
            high = create_from_template(service, "high_value", now=NOW)
            where = [{"property": "sku", "op": "eq", "value": PRODUCT}]
            product = service.create(
                SegmentCreate(
                    name=f"Bought {PRODUCT}",
                    definition={"event": "Order Completed", "where": where},
                ),
                now=NOW,
            )
            lookalikes = {
                "high_value": _lookalike(store, settings, high.segment_id, high.name),
                f"bought_{PRODUCT}": _lookalike(store, settings, product.segment_id, product.name),
            }
        finally:
            store.close()
    print(json.dumps({"churn": churn, "lookalike": lookalikes}))


if __name__ == "__main__":
    main()
