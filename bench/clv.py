"""CLV benchmark: unicx's BG/NBD and Gamma-Gamma against the published CDNOW estimates.

    .venv/bin/python bench/clv.py

Data: the CDNOW sample (Fader, Hardie & Lee 2005) as the ``lifetimes`` wheel ships it, read from
the installed files (the package itself is not imported). Checks, in one run:

1. BG/NBD on the 2,357-customer 39-week calibration summary vs the published r = 0.243,
   alpha = 4.414, a = 0.793, b = 2.426 (target: each within 1 %);
2. Gamma-Gamma on the repeat customers' average spend vs p = 6.25, q = 3.74, gamma = 15.44;
3. holdout accuracy: the same calibration built here from the raw transactions
   (CDNOW_sample.txt, calibration to 1997-09-30, holdout the next 39 weeks), predicted vs actual
   repeat purchases per customer, by number of calibration repeat purchases as in the paper's
   figure 4, against a naive baseline in the same run (each customer repeats their calibration
   rate).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from unicx.predict.btyd import fit_bgnbd, fit_gamma_gamma

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_WEEKS = 39.0


def dataset(name: str) -> Path:
    for f in importlib.metadata.files("lifetimes") or []:
        if f.name == name and "datasets" in str(f):
            return Path(str(f.locate()))
    raise SystemExit(f"{name} not found: install the dev dependencies (make install)")


def relative_errors(fitted: dict[str, float], published: dict[str, float]) -> dict[str, float]:
    # The published figures have 3-4 significant digits: compare against them as printed.
    return {k: abs(fitted[k] - v) / v for k, v in published.items()}


def calibration_holdout() -> pd.DataFrame:
    """Per customer: x, t_x, T (weeks) in calibration and repeat purchase days in holdout."""
    raw = pd.read_csv(
        dataset("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["customer", "customer_master", "day", "cds", "dollars"],
        dtype={"day": str},
    )
    raw["day"] = pd.to_datetime(raw["day"], format="%Y%m%d")
    days = raw.groupby(["customer", "day"], as_index=False)["dollars"].sum()
    end = pd.Timestamp(CALIBRATION_END)
    calib = days[days["day"] <= end]
    first = calib.groupby("customer")["day"].min()
    last = calib.groupby("customer")["day"].max()
    out = pd.DataFrame(
        {
            "x": calib.groupby("customer").size() - 1,
            "t_x": (last - first).dt.days / 7.0,
            "T": (end - first).dt.days / 7.0,
        }
    )
    holdout = days[days["day"] > end].groupby("customer").size()
    out["actual"] = holdout.reindex(out.index, fill_value=0)
    return out


def holdout_accuracy() -> dict[str, Any]:
    data = calibration_holdout()
    bg = fit_bgnbd(data["x"], data["t_x"], data["T"])
    predicted = bg.expected_purchases(HOLDOUT_WEEKS, data["x"], data["t_x"], data["T"])
    # Naive baseline: the customer's calibration repeat rate carried into the holdout.
    naive = data["x"] / data["T"].clip(lower=1.0) * HOLDOUT_WEEKS
    actual = data["actual"].to_numpy(dtype=float)
    buckets = []
    for x in range(8):
        mask = (data["x"] >= 7) if x == 7 else (data["x"] == x)
        buckets.append(
            {
                "x": "7+" if x == 7 else x,
                "customers": int(mask.sum()),
                "actual": round(float(actual[mask].mean()), 3),
                "predicted": round(float(predicted[mask].mean()), 3),
            }
        )
    return {
        "customers": len(data),
        "params": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b},
        "actual_total": int(actual.sum()),
        "predicted_total": round(float(predicted.sum()), 1),
        "total_error": round(float(predicted.sum() / actual.sum() - 1), 4),
        "mae": round(float(np.abs(predicted - actual).mean()), 4),
        "naive_mae": round(float(np.abs(naive - actual).mean()), 4),
        "correlation": round(float(np.corrcoef(predicted, actual)[0, 1]), 4),
        "by_calibration_repeats": buckets,
    }


def main() -> None:
    summary = pd.read_csv(dataset("cdnow_customers_summary_with_transactions.csv"))
    started = time.perf_counter()
    bg = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    bg_seconds = time.perf_counter() - started
    repeat = summary[summary["x"] > 0]
    started = time.perf_counter()
    gg = fit_gamma_gamma(repeat["x"], repeat["zbar"])
    gg_seconds = time.perf_counter() - started
    bgnbd = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b}
    gamma_gamma = {"p": gg.p, "q": gg.q, "gamma": gg.gamma}
    errors = relative_errors(bgnbd, PUBLISHED_BGNBD) | relative_errors(gamma_gamma, PUBLISHED_GG)
    print(f"BG/NBD on {len(summary):,} customers ({bg_seconds:.2f} s), LL {bg.log_likelihood:.1f}")
    for key, value in bgnbd.items():
        pub = PUBLISHED_BGNBD[key]
        print(f"  {key:6} {value:8.4f}  published {pub:6.3f}  error {errors[key]:.3%}")
    print(f"Gamma-Gamma on {len(repeat):,} repeat customers ({gg_seconds:.2f} s)")
    for key, value in gamma_gamma.items():
        pub = PUBLISHED_GG[key]
        print(f"  {key:6} {value:8.4f}  published {pub:6.2f}  error {errors[key]:.3%}")
    holdout = holdout_accuracy()
    print(
        f"Holdout (39 weeks): predicted {holdout['predicted_total']} vs actual "
        f"{holdout['actual_total']} repeat purchases ({holdout['total_error']:+.2%}); "
        f"MAE {holdout['mae']} (naive rate baseline {holdout['naive_mae']}, ratio "
        f"{holdout['mae'] / holdout['naive_mae']:.2f}); correlation {holdout['correlation']}"
    )
    for row in holdout["by_calibration_repeats"]:
        print(f"  x={row['x']!s:3} n={row['customers']:5}  actual {row['actual']:.3f}  "
              f"predicted {row['predicted']:.3f}")  # fmt: skip
    worst = max(errors.values())
    result = {
        "bgnbd": {k: round(v, 4) for k, v in bgnbd.items()},
        "gamma_gamma": {k: round(v, 4) for k, v in gamma_gamma.items()},
        "max_relative_error": round(worst, 5),
        "within_1pct": worst <= 0.01,
        "fit_seconds": {"bgnbd": round(bg_seconds, 3), "gamma_gamma": round(gg_seconds, 3)},
        "holdout": holdout,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
