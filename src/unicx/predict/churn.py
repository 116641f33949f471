"""Churn propensity: will a buyer place no order in the next N days (``churn_horizon_days``)?

Examples are buyers (at least one counted order before the cutoff) with the behavioural
features of :mod:`unicx.predict.features` at that cutoff; the label is 1 when they place no
counted order in the N days after it. The split is temporal, never random, so the evaluation
sees the future the way production will:

* train: cutoff now - 2N, label from [now - 2N, now - N);
* test:  cutoff now - N,  label from [now - N, now) -> AUC, Brier, log loss, reliability;
* serve: the model refitted on the test cutoff (the latest one whose label is known) scores
  every buyer's features at ``now`` into ``churn_risk`` and ``churn_band``.

``now`` is the cut-off: the training time, or ``as_of`` when training on history (asof.py).

Gradient boosting (``HistGradientBoostingClassifier``) wrapped in ``CalibratedClassifierCV``:
sigmoid (Platt) calibration below ``ISOTONIC_FROM`` examples, isotonic above, because isotonic
regression overfits with fewer than about a thousand examples per calibration fold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from unicx.config import Settings
from unicx.predict.features import Features, feature_table
from unicx.predict.registry import TrainResult, new_version, record_run, replace_traits
from unicx.store import Session, Store

MODEL = "churn"
MIN_EXAMPLES = 100  # buyers per cutoff
MIN_CLASS = 20  # of each label per cutoff: five calibration folds need a few of each
FOLDS = 5
ISOTONIC_FROM = FOLDS * 1000
BANDS = ((0.7, "high"), (0.3, "medium"), (0.0, "low"))  # churn_risk >= bound
BINS = 10
MAX_LOOKBACK = 730
SEED = 0
HYPER = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 20}

FUTURE_SQL = """
SELECT DISTINCT profile_id FROM (
  SELECT profile_id, json_extract_string(properties, '$.currency') AS currency
  FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track' AND event = 'Order Completed'
    AND timestamp >= $start AND timestamp < $end
) WHERE upper(coalesce(currency, $currency)) = upper($currency)
"""


@dataclass(frozen=True)
class Examples:
    features: Features
    labels: NDArray[np.int64]

    @property
    def x(self) -> NDArray[np.float64]:
        return self.features.matrix


FIRST_ORDER_SQL = """
SELECT min(timestamp) FROM events WHERE type = 'track' AND event = 'Order Completed'
"""


def lookback(s: Session, first_cutoff: datetime) -> int:
    """Days of history every feature table of a run reads: all the history there is before
    the first (train) cutoff, at most ``MAX_LOOKBACK``. Without this cap, counts and tenure at
    ``now`` would be larger than any seen in training (the history grew by 2N days)."""
    row = s.fetchone(FIRST_ORDER_SQL, step="churn.first_order")
    if not row or row[0] is None or row[0] >= first_cutoff:
        return 0
    return int(min(MAX_LOOKBACK, math.ceil((first_cutoff - row[0]).total_seconds() / 86400)))


def examples(
    s: Session,
    settings: Settings,
    *,
    cutoff: datetime,
    horizon: int,
    categories_at: datetime,
    lookback_days: int,
) -> Examples:
    """Buyers at ``cutoff`` and whether they churned: no order in ``horizon`` days after it."""
    table = feature_table(
        s, settings, cutoff=cutoff, categories_at=categories_at, lookback_days=lookback_days
    )
    buyers = table.rows(table.column("orders_all") > 0)
    end = cutoff + timedelta(days=horizon)
    params = {"start": cutoff, "end": end, "currency": settings.currency}
    bought = {str(r[0]) for r in s.fetchall(FUTURE_SQL, params, step="churn.labels")}
    labels = np.array([0 if pid in bought else 1 for pid in buyers.ids], dtype=np.int64)
    return Examples(buyers, labels)


def model(n: int) -> CalibratedClassifierCV:
    method = "isotonic" if n >= ISOTONIC_FROM else "sigmoid"
    booster = HistGradientBoostingClassifier(random_state=SEED, **HYPER)
    return CalibratedClassifierCV(booster, method=method, cv=FOLDS)


def reliability(y: NDArray[np.int64], p: NDArray[np.float64]) -> list[dict[str, Any]]:
    """Ten equal-width bins of predicted probability: count, mean prediction, observed rate."""
    which = np.minimum((p * BINS).astype(int), BINS - 1)
    table = []
    for b in range(BINS):
        inside = which == b
        n = int(inside.sum())
        table.append(
            {
                "bin": f"{b / BINS:.1f}-{(b + 1) / BINS:.1f}",
                "count": n,
                "predicted": round(float(p[inside].mean()), 4) if n else None,
                "observed": round(float(y[inside].mean()), 4) if n else None,
            }
        )
    return table


def evaluate(train: Examples, test: Examples) -> dict[str, Any]:
    """Fit on the train cutoff, measure on the test cutoff; recency alone as the baseline."""
    fitted = model(len(train.labels)).fit(train.x, train.labels)
    p = fitted.predict_proba(test.x)[:, 1]
    y, prior = test.labels, float(train.labels.mean())
    recency = np.nan_to_num(test.features.column("days_since_last_order"), nan=1e6)
    return {
        "auc": round(float(roc_auc_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])), 4),
        "base_rate": round(float(y.mean()), 4),
        "train_base_rate": round(prior, 4),
        "baseline_recency_auc": round(float(roc_auc_score(y, recency)), 4),
        # Everyone given the train base rate: the Brier score of knowing nothing.
        "baseline_brier": round(float(brier_score_loss(y, np.full(len(y), prior))), 4),
        "reliability": reliability(y, p),
    }


def band(risk: NDArray[np.float64]) -> list[str]:
    return [next(name for bound, name in BANDS if r >= bound) for r in risk]


def _check(name: str, ex: Examples) -> str | None:
    n, churned = len(ex.labels), int(ex.labels.sum())
    if n < MIN_EXAMPLES or min(churned, n - churned) < MIN_CLASS:
        return (
            f"too few examples at the {name} cutoff: {n} buyers, {churned} churned and "
            f"{n - churned} stayed (needs {MIN_EXAMPLES} buyers and {MIN_CLASS} of each)"
        )
    return None


def train(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    """Train, evaluate and score every buyer at ``as_of`` (default ``now``: the cut-offs count
    back from it); or reject, keeping previous traits."""
    horizon = settings.churn_horizon_days
    version = new_version(now)
    cut = as_of or now
    first = cut - timedelta(days=2 * horizon)
    params: dict[str, Any] = {"horizon_days": horizon, "folds": FOLDS, "bands": dict(BANDS)}
    params |= HYPER
    with store.session() as s:
        days = lookback(s, first)
        params["lookback_days"] = days
        sets = {
            name: examples(
                s, settings, cutoff=at, horizon=horizon, categories_at=first, lookback_days=days
            )
            for name, at in (("train", first), ("test", cut - timedelta(days=horizon)))
        }
        current = feature_table(s, settings, cutoff=cut, categories_at=first, lookback_days=days)
    problem = _check("train", sets["train"]) or _check("test", sets["test"])
    if problem:
        rows = len(sets["test"].labels)
        result = TrainResult(
            MODEL, version, "rejected", rows, message=f"{problem}; previous churn traits kept"
        )
        with store.session() as s, s.transaction():
            record_run(s, result, now=now, params=params, as_of=as_of)
        return result
    metrics = evaluate(sets["train"], sets["test"])
    latest = sets["test"]
    served = model(len(latest.labels)).fit(latest.x, latest.labels)
    buyers = current.rows(current.column("orders_all") > 0)
    risk = np.round(served.predict_proba(buyers.matrix)[:, 1], 4)
    metrics |= {
        "train_examples": len(sets["train"].labels),
        "test_examples": len(latest.labels),
        "calibration": "isotonic" if len(latest.labels) >= ISOTONIC_FROM else "sigmoid",
        "scored": len(buyers.ids),
        "lookback_days": params["lookback_days"],
        "features": buyers.names,
    }
    ids = pa.array(buyers.ids, pa.string())
    table = pa.table({"profile_id": ids, "churn_risk": risk, "churn_band": band(risk)})
    result = TrainResult(MODEL, version, "active", len(buyers.ids), metrics)
    with store.session() as s, s.transaction():
        replace_traits(s, model=MODEL, version=version, table=table, now=now)
        record_run(s, result, now=now, params=params, as_of=as_of)
    return result
