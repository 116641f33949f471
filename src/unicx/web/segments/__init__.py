"""The Segments area: list, builder, segment page, templates, personas and lookalikes."""

from __future__ import annotations

from fastapi import APIRouter

from unicx.web.segments import builder, pages, personas

router = APIRouter(include_in_schema=False)
# Fixed paths (/segments/new, /segments/personas, ...) before /segments/{segment_id}.
router.include_router(builder.router)
router.include_router(personas.router)
router.include_router(pages.router)
