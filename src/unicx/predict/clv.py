"""Customer lifetime value: BG/NBD + Gamma-Gamma fitted on the workspace's order history.

Purchases are counted in local calendar days (two orders on one day are one transaction, as in
the CDNOW calibration), in days since the person's first purchase; spend is the net order value
in the workspace currency (refunds subtracted, other currencies ignored: docs/traits.md). The
traits written (docs/predict.md): predicted_purchases_30d/90d/365d, probability_alive,
expected_spend and clv (12 months, discounted 1 % a month).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import numpy as np
import pyarrow as pa

from unicx.config import Settings
from unicx.predict.btyd import (
    BetaGeo,
    FitError,
    GammaGamma,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
)
from unicx.predict.registry import TrainResult, new_version, record_run, replace_traits
from unicx.profiles.computed_sql import local_date
from unicx.profiles.orders_sql import order_core_steps
from unicx.store import Session, Store

MODEL = "clv"
# Below these the likelihood is too flat to say anything about a person (documented).
MIN_BUYERS = 50
MIN_REPEAT_BUYERS = 10
HORIZONS = (30, 90, 365)
MONTHS, MONTHLY_DISCOUNT, PENALIZER = 12, 0.01, 0.001
DAYS_PER_MONTH = 365 / MONTHS  # so the 12 months of ``clv`` are the 365 days of the traits
PARAMS = {
    "unit": "day",
    "months": MONTHS,
    "days_per_month": round(DAYS_PER_MONTH, 4),
    "monthly_discount": MONTHLY_DISCOUNT,
    "penalizer": PENALIZER,
}

SUMMARY_SQL = f"""
WITH order_ev AS (
  SELECT profile_id, message_id, timestamp, type, event, properties
  FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track'
    AND event IN ('Order Completed', 'Order Refunded') AND timestamp <= $now
),
{order_core_steps("order_ev")},
days AS (
  -- isfinite: a revenue of "NaN" or "Infinity" parses to a number; such orders are left out
  -- (and counted in the run's metrics) rather than poisoning everyone's fit.
  SELECT profile_id, {local_date("ordered_at")} AS day, sum(net) AS value
  FROM orders WHERE counted AND isfinite(net) GROUP BY ALL
),
people AS (
  SELECT profile_id, min(day) AS first_day, max(day) AS last_day, count(*) - 1 AS x,
         -- Gamma-Gamma models repeat transactions: the first purchase's value is left out.
         avg(value) FILTER (WHERE day > first_day_of) AS mean_repeat
  FROM (SELECT *, min(day) OVER (PARTITION BY profile_id) AS first_day_of FROM days)
  GROUP BY profile_id
)
SELECT profile_id, x, datediff('day', first_day, last_day) AS t_x,
       datediff('day', first_day, {local_date("CAST($now AS TIMESTAMPTZ)")}) AS age,
       mean_repeat,
       (SELECT count(*) FROM orders WHERE NOT isfinite(value) OR value < 0) AS excluded
FROM people ORDER BY profile_id
"""


def _summary(s: Session, settings: Settings, now: datetime) -> pa.Table:
    params = {"now": now, "tz": settings.timezone, "currency": settings.currency}
    return s.execute(SUMMARY_SQL, params, step="clv.summary").to_arrow_table()


def _rejected(version: str, rows: int, message: str) -> TrainResult:
    return TrainResult(MODEL, version, "rejected", rows, message=message)


def train(
    store: Store, settings: Settings, *, now: datetime, as_of: datetime | None = None
) -> TrainResult:
    """Fit on every buyer's history up to ``as_of`` (default ``now``), ages counted from it;
    write the CLV traits, or reject the run."""
    version = new_version(now)
    with store.session() as s:
        summary = _summary(s, settings, as_of or now)
    x = summary["x"].to_numpy().astype(np.float64)
    t_x = summary["t_x"].to_numpy().astype(np.float64)
    age = summary["age"].to_numpy().astype(np.float64)
    mean = summary["mean_repeat"].to_numpy(zero_copy_only=False).astype(np.float64)
    buyers, repeaters = len(x), int(np.sum((x > 0) & (mean > 0)))
    excluded = int(summary["excluded"][0].as_py()) if buyers else 0
    result: TrainResult
    if buyers < MIN_BUYERS or repeaters < MIN_REPEAT_BUYERS:
        result = _rejected(
            version,
            buyers,
            f"too little order history: {buyers} buyers and {repeaters} repeat buyers "
            f"(needs {MIN_BUYERS} and {MIN_REPEAT_BUYERS}); previous CLV traits kept",
        )
    else:
        try:
            bg = fit_bgnbd(x, t_x, age, penalizer=PENALIZER)
            repeat = (x > 0) & (mean > 0)
            gg = fit_gamma_gamma(x[repeat], mean[repeat], penalizer=PENALIZER)
        except FitError as exc:
            result = _rejected(version, buyers, f"{exc}; previous CLV traits kept")
        else:
            table = _traits(summary, bg, gg, x=x, t_x=t_x, age=age, mean=np.nan_to_num(mean))
            metrics = {
                "buyers": buyers,
                "repeat_buyers": repeaters,
                "orders_excluded": excluded,
                "bgnbd": {k: v for k, v in asdict(bg).items()},
                "gamma_gamma": {k: v for k, v in asdict(gg).items()},
                "mean_clv": float(np.mean(table["clv"].to_numpy())),
                "currency": settings.currency,
            }
            result = TrainResult(MODEL, version, "active", buyers, metrics)
            with store.session() as s, s.transaction():
                replace_traits(s, model=MODEL, version=version, table=table, now=now)
                record_run(s, result, now=now, params=PARAMS, as_of=as_of)
            return result
    with store.session() as s, s.transaction():
        record_run(s, result, now=now, params=PARAMS, as_of=as_of)
    return result


def _traits(
    summary: pa.Table,
    bg: BetaGeo,
    gg: GammaGamma,
    *,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    mean: np.ndarray,
) -> pa.Table:
    columns: dict[str, object] = {"profile_id": summary["profile_id"]}
    for days in HORIZONS:
        purchases = bg.expected_purchases(float(days), x, t_x, age)
        columns[f"predicted_purchases_{days}d"] = pa.array(np.round(purchases, 4))
    columns["probability_alive"] = pa.array(np.round(bg.probability_alive(x, t_x, age), 4))
    columns["expected_spend"] = pa.array(np.round(gg.expected_spend(x, mean), 2))
    clv = customer_lifetime_value(
        bg,
        gg,
        x=x,
        t_x=t_x,
        T=age,
        mean_spend=mean,
        months=MONTHS,
        days_per_month=DAYS_PER_MONTH,
        monthly_discount=MONTHLY_DISCOUNT,
    )
    columns["clv"] = pa.array(np.round(clv, 2))
    return pa.table(columns)
