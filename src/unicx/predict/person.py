"""One person's predictions as the models last wrote them (Profile 360 in the dashboard)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from unicx.store import Store


class Prediction(BaseModel):
    name: str = Field(description="clv, churn_risk, churn_band, persona, probability_alive ...")
    value: Any
    model: str
    model_version: str
    computed_at: datetime


def predictions_of(store: Store, profile_id: str) -> dict[str, Prediction]:
    """The person's model outputs by name (empty before any model has run)."""
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT name, value, model, model_version, computed_at FROM model_traits "
            "WHERE profile_id = ? ORDER BY name",
            [profile_id],
            step="predict.person",
        )
    for row in rows:
        row["value"] = json.loads(row["value"]) if row["value"] is not None else None
    return {str(r["name"]): Prediction.model_validate(r) for r in rows}
