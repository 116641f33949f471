"""Train models on demand and read the registry (``unicx train``, ``/v1/models``).

After any run that produced new outputs the segments are refreshed in full, so a segment on
``clv`` or ``churn_risk`` is current as soon as training ends.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from unicx.config import Settings
from unicx.errors import ConflictError, FieldIssue, NotFoundError, ValidationError
from unicx.predict.models import ModelRun, TrainOutcome
from unicx.predict.train import TRAINERS, trainer
from unicx.store import Store

MAX_RUNS = 500
TRAINING = threading.Lock()


def check_names(names: list[str] | None) -> list[str]:
    """The requested models in training order; unknown names are a 400 naming the valid ones."""
    if names is None:
        return list(TRAINERS)
    unknown = [n for n in names if n not in TRAINERS]
    if unknown or not names:
        valid = ", ".join(TRAINERS)
        raise ValidationError(
            f"unknown model {unknown[0]!r}: one of {valid}" if unknown else "no model named",
            issues=[FieldIssue("models", "enum", f"models are {valid}")],
        )
    return [n for n in TRAINERS if n in names]


def train(
    store: Store, settings: Settings, *, names: list[str] | None, now: datetime | None = None
) -> list[TrainOutcome]:
    """Train ``names`` (all by default) one after the other, then refresh segments. One
    training at a time per process: a second request is a 409, not a race on model_traits."""
    if not TRAINING.acquire(blocking=False):
        raise ConflictError("training is already running: try again when it has finished")
    try:
        return _train(store, settings, check_names(names), now or datetime.now(UTC))
    finally:
        TRAINING.release()


def _train(store: Store, settings: Settings, names: list[str], now: datetime) -> list[TrainOutcome]:
    from unicx.segments.refresh import refresh_all

    outcomes = []
    for name in names:
        started = time.perf_counter()
        result = trainer(name)(store, settings, now=now)
        outcomes.append(
            TrainOutcome(
                model=result.model,
                version=result.version,
                status=result.status,
                rows=result.rows,
                metrics=result.metrics,
                message=result.message,
                seconds=round(time.perf_counter() - started, 3),
            )
        )
    if any(o.status == "active" for o in outcomes):
        refresh_all(store, settings, now=now)
    return outcomes


def _run(row: dict[str, Any]) -> ModelRun:
    return ModelRun(
        **{k: row[k] for k in ("model", "version", "status", "trained_at", "rows", "message")},
        metrics=json.loads(row["metrics"] or "{}"),
        params=json.loads(row["params"] or "{}"),
    )


def runs(store: Store, *, model: str | None = None, limit: int = 100) -> list[ModelRun]:
    """Training runs, newest first."""
    if model is not None and model not in TRAINERS:
        raise NotFoundError(f"unknown model {model!r}: one of {', '.join(TRAINERS)}")
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT * FROM models WHERE $model IS NULL OR model = $model "
            "ORDER BY trained_at DESC, version DESC LIMIT $limit",
            {"model": model, "limit": max(1, min(limit, MAX_RUNS))},
            step="models.runs",
        )
    return [_run(r) for r in rows]


def active(store: Store, model: str) -> ModelRun:
    """The run whose outputs are in use; 404 with the reason when there is none."""
    found = [r for r in runs(store, model=model, limit=MAX_RUNS) if r.status == "active"]
    if not found:
        raise NotFoundError(f"model {model!r} has no active version yet: run `unicx train`")
    return found[0]
