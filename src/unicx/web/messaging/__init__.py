"""Messaging pages: the message log, dead letters, channel settings, caps and quiet hours,
the suppression list and ad-audience syncs (all under /messaging)."""

from __future__ import annotations

from fastapi import APIRouter

from unicx.web.messaging import audiences, channels, dead, log, policy, suppressions

router = APIRouter(include_in_schema=False)
for _module in (log, dead, channels, policy, suppressions, audiences):
    router.include_router(_module.router)
