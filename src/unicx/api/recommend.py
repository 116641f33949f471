"""Product catalog, recommendations and similar items."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["recommend"])
