"""Offers, content blocks and next-best-action decisions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["personalize"])
