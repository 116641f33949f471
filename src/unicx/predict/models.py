"""API and CLI shapes of the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ModelRun(BaseModel):
    model: str
    version: str
    status: str = Field(description="active, superseded or rejected")
    trained_at: datetime
    rows: int = Field(description="People (or interactions) the run was trained on")
    metrics: dict[str, Any]
    params: dict[str, Any]
    message: str | None = None
    as_of: datetime | None = Field(
        default=None, description="The data cut-off when trained on history (else trained_at)"
    )


class TrainRequest(BaseModel):
    models: list[str] | None = Field(
        default=None, max_length=10, description="Models to train (default: all, in order)"
    )
    as_of: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Train and evaluate on the history up to this date (YYYY-MM-DD: the end "
        "of that day, workspace time zone) or ISO 8601 date-time; default: now",
    )


class TrainOutcome(BaseModel):
    model: str
    version: str
    status: str
    rows: int
    metrics: dict[str, Any]
    message: str
    seconds: float
    as_of: datetime | None = Field(default=None, description="The data cut-off, if not now")
