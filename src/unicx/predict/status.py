"""Each model's standing for the home page: its latest run and the version serving, if any."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from unicx.predict.train import TRAINERS
from unicx.store import Store

LATEST_SQL = """
SELECT model, arg_max(status, (trained_at, version)) AS status,
       max(trained_at) AS trained_at,
       arg_max(message, (trained_at, version)) AS message,
       max(version) FILTER (WHERE status = 'active') AS active_version
FROM models GROUP BY model"""


class ModelStatus(BaseModel):
    model: str = Field(description="clv, churn, recommend, …")
    status: str = Field(
        description="The latest run's status (active, superseded, rejected), or never_trained."
    )
    trained_at: datetime | None = Field(description="When the latest run ended.")
    message: str | None = Field(description="The latest run's message (why it was rejected).")
    active_version: str | None = Field(description="The version in use, if any.")


def _never(name: str) -> dict[str, str | None]:
    return {"model": name, "status": "never_trained", "trained_at": None, "message": None,
            "active_version": None}  # fmt: skip


def model_status(store: Store) -> list[ModelStatus]:
    """Every model unicx trains, in training order, with its latest run."""
    with store.session() as s:
        rows = {r["model"]: r for r in s.fetch_dicts(LATEST_SQL, step="models.status")}
    return [ModelStatus.model_validate(rows.get(name) or _never(name)) for name in TRAINERS]
