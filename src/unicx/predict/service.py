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
from unicx.predict.asof import parse_as_of, stale_hint
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
    store: Store,
    settings: Settings,
    *,
    names: list[str] | None,
    now: datetime | None = None,
    as_of: str | None = None,
) -> list[TrainOutcome]:
    """Train ``names`` (all by default) one after the other, then refresh segments; ``as_of``
    (a date or date-time) trains and evaluates on the history up to it. One training at a time
    per process: a second request is a 409, not a race on model_traits."""
    now = now or datetime.now(UTC)
    cut = parse_as_of(as_of, timezone=settings.timezone, now=now) if as_of else None
    checked = check_names(names)
    if not TRAINING.acquire(blocking=False):
        raise ConflictError("training is already running: try again when it has finished")
    try:
        return _train(store, settings, checked, now=now, as_of=cut)
    finally:
        TRAINING.release()


def _train(
    store: Store, settings: Settings, names: list[str], *, now: datetime, as_of: datetime | None
) -> list[TrainOutcome]:
    from unicx.segments.refresh import refresh_all

    outcomes = []
    for name in names:
        started = time.perf_counter()
        result = trainer(name)(store, settings, now=now, as_of=as_of)
        message = result.message
        if result.status == "rejected" and as_of is None:
            message += _advise(store, settings, model=result.model, version=result.version, now=now)
        outcomes.append(
            TrainOutcome(
                model=result.model,
                version=result.version,
                status=result.status,
                rows=result.rows,
                metrics=result.metrics,
                message=message,
                seconds=round(time.perf_counter() - started, 3),
                as_of=as_of,
            )
        )
    if any(o.status == "active" for o in outcomes):
        refresh_all(store, settings, now=now)
    return outcomes


def _advise(store: Store, settings: Settings, *, model: str, version: str, now: datetime) -> str:
    """When the history ended long ago, a rejection says how to train on it (--as-of), in the
    answer and in the stored run."""
    with store.session() as s:
        hint = stale_hint(s, now, timezone=settings.timezone)
        if hint:
            s.execute(
                "UPDATE models SET message = message || ? WHERE model = ? AND version = ?",
                [hint, model, version],
                step="models.advise",
            )
    return hint


def _run(row: dict[str, Any]) -> ModelRun:
    return ModelRun(
        **{
            k: row[k]
            for k in ("model", "version", "status", "trained_at", "rows", "message", "as_of")
        },
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
