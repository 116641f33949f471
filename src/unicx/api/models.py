"""Model registry and training: list runs, train now."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["models"])
