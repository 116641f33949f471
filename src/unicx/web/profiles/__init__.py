"""Profiles in the dashboard: search and Profile 360 (pages), and its admin actions."""

from __future__ import annotations

from fastapi import APIRouter

from unicx.web.profiles import actions, pages

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(actions.router)
