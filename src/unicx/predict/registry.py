"""The model registry: one row per training run, and model outputs written as traits.

A run is ``active`` (its outputs are what ``model_traits`` holds and serving uses) or
``rejected`` (too little data, failed checks: recorded with the reason, outputs not written,
the previous active version keeps serving). Versions are the UTC training time, so they sort.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from unicx.segments.schema import MODEL_OUTPUTS as MODEL_OUTPUTS  # written by the models here
from unicx.store import Session

TRAITS_TABLE = "_model_traits_new"
TRAIT_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class TrainResult:
    """What one training run reports back to ``unicx train`` and ``POST /v1/models/train``."""

    model: str
    version: str
    status: str  # "active" or "rejected"
    rows: int
    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def new_version(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def record_run(
    s: Session,
    result: TrainResult,
    *,
    now: datetime,
    params: dict[str, Any],
    as_of: datetime | None = None,
) -> None:
    """Record a run; when active, every earlier active version of the model is superseded.
    ``as_of``: the data cut-off when it is not ``now`` (training on history)."""
    if result.status == "active":
        s.execute(
            "UPDATE models SET status = 'superseded' WHERE model = ? AND status = 'active'",
            [result.model],
            step="models.supersede",
        )
    s.execute(
        # A second run at the same injected clock (a rerun, a test) replaces the first record.
        "INSERT INTO models (model, version, status, trained_at, rows, params, metrics, message, "
        "as_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (model, version) DO UPDATE SET "
        "status = excluded.status, trained_at = excluded.trained_at, rows = excluded.rows, "
        "params = excluded.params, metrics = excluded.metrics, message = excluded.message, "
        "as_of = excluded.as_of",
        [
            result.model,
            result.version,
            result.status,
            now,
            result.rows,
            json.dumps(params, default=str),
            json.dumps(result.metrics, default=str),
            result.message,
            as_of,
        ],
        step="models.record",
    )


def active_version(s: Session, model: str) -> str | None:
    row = s.fetchone(
        "SELECT version FROM models WHERE model = ? AND status = 'active' "
        "ORDER BY trained_at DESC LIMIT 1",
        [model],
        step="models.active",
    )
    return str(row[0]) if row else None


def replace_traits(
    s: Session,
    *,
    model: str,
    version: str,
    table: pa.Table,
    now: datetime,
) -> int:
    """Replace ``model``'s rows in ``model_traits`` by ``table``: a ``profile_id`` column and one
    column per trait (its name is the trait name; any Arrow type, stored as JSON; nulls skipped).

    Call inside the transaction that records the run, so readers see the old outputs or the new
    ones, never a mix. Returns the number of trait rows written."""
    traits = [name for name in table.column_names if name != "profile_id"]
    bad = [name for name in traits if not TRAIT_NAME.fullmatch(name)]
    if "profile_id" not in table.column_names or bad:
        raise ValueError(f"model traits need a profile_id column and plain names, got {bad}")
    s.execute("DELETE FROM model_traits WHERE model = ?", [model], step="models.traits.clear")
    s.register(TRAITS_TABLE, table)
    written = 0
    try:
        for name in traits:
            cur = s.execute(
                "INSERT INTO model_traits (profile_id, name, value, model, model_version, "
                f"computed_at) SELECT profile_id, ?, to_json({name}), ?, ?, ? "
                f"FROM {TRAITS_TABLE} WHERE {name} IS NOT NULL",
                [name, model, version, now],
                step="models.traits.write",
            )
            row = cur.fetchone()
            written += int(row[0]) if row else 0
    finally:
        s.unregister(TRAITS_TABLE)
    return written
