"""Models and personalization pages: training runs (/models), offers and content blocks with a
template preview (/models/offers) and the recommendation rules (/models/rules)."""

from __future__ import annotations

from fastapi import APIRouter

from unicx.web.models import offers, rules, runs

router = APIRouter(include_in_schema=False)
for _module in (runs, offers, rules):
    router.include_router(_module.router)
