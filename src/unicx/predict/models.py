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


class TrainRequest(BaseModel):
    models: list[str] | None = Field(
        default=None, max_length=10, description="Models to train (default: all, in order)"
    )


class TrainOutcome(BaseModel):
    model: str
    version: str
    status: str
    rows: int
    metrics: dict[str, Any]
    message: str
    seconds: float
