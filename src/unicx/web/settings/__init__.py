"""Settings: sources and write keys, API keys, dashboard users, the workspace's settings and
the audit log, each a sub-page under /settings/ with the permission its API route needs."""

from __future__ import annotations

from fastapi import APIRouter

from unicx.web.settings import access, users, workspace

router = APIRouter(include_in_schema=False)
for _part in (access, users, workspace):
    router.include_router(_part.router)
