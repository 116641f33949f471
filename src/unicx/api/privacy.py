"""Privacy over HTTP: consent, export and erasure of a person, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from unicx.api.context import AppContext
from unicx.api.deps import (
    Ctx,
    PrivacyEraser,
    PrivacyExporter,
    ProfilesReader,
    ProfilesWriter,
    require,
)
from unicx.auth.models import Permission, Principal
from unicx.privacy.audit import MAX_AUDIT_PAGE, list_audit
from unicx.privacy.consent import get_consent, set_consent
from unicx.privacy.erasure import MAX_REQUEST_ID, erase_profile
from unicx.privacy.export import export_profile
from unicx.privacy.models import (
    AuditEntry,
    ConsentPublic,
    ConsentUpdate,
    ErasureReport,
    ProfileExport,
)

router = APIRouter(prefix="/v1", tags=["privacy"])

AuditReader = Annotated[Principal, Depends(require(Permission.audit_read))]
ProfileId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/profiles/{profile_id}/consent", response_model=ConsentPublic)
async def read_consent(ctx: Ctx, _: ProfilesReader, profile_id: ProfileId) -> ConsentPublic:
    """Consent per purpose (email, sms, push, ads, personalization). ``granted`` is null for a
    purpose never recorded: unknown, which channels treat according to their own policy."""
    return await run_in_threadpool(get_consent, ctx.store, profile_id)


@router.put("/profiles/{profile_id}/consent", response_model=ConsentPublic)
async def update_consent(
    ctx: Ctx, who: ProfilesWriter, profile_id: ProfileId, body: ConsentUpdate
) -> ConsentPublic:
    """Record consent, e.g. ``{"purposes": {"email": false}}``. Stored as a ``Consent Updated``
    track event of the person (so consent has one history) and applied at once."""
    started = datetime.now(UTC)
    result = await run_in_threadpool(
        set_consent, ctx.store, ctx.settings, profile_id, body.purposes, actor=who.key_id
    )
    if ctx.updater is not None:
        # Other derived tables (timeline-based traits) catch up with the new event too.
        ctx.updater.notify(started)
    return result


@router.get("/profiles/{profile_id}/export", response_model=ProfileExport)
async def export(ctx: Ctx, who: PrivacyExporter, profile_id: ProfileId) -> ProfileExport:
    """Everything unicx holds on the person, per table (admin; recorded in the audit log)."""
    return await run_in_threadpool(export_profile, ctx.store, profile_id, actor=who.key_id)


@router.delete("/profiles/{profile_id}", response_model=ErasureReport)
async def erase(
    ctx: Ctx,
    who: PrivacyEraser,
    profile_id: ProfileId,
    request_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_REQUEST_ID,
            description="Your reference for the request (ticket id; no personal data).",
        ),
    ] = None,
) -> ErasureReport:
    """Erase the person from every table and leave tombstones so late events carrying their
    identifiers are dropped (admin; synchronous; recorded in the audit log)."""
    return await run_in_threadpool(
        erase_profile,
        ctx.store,
        ctx.settings,
        profile_id,
        actor=who.key_id,
        request_id=request_id,
        forget_buffered=_forget_buffered(ctx),
    )


def _forget_buffered(ctx: AppContext) -> Callable[[str], object] | None:
    recommender = ctx.recommender
    return None if recommender is None else recommender.log.forget


@router.get("/audit", response_model=list[AuditEntry])
async def audit(
    ctx: Ctx,
    _: AuditReader,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
    since: Annotated[datetime | None, Query(description="Only entries at/after")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. profile.export, profile.erase")
    ] = None,
) -> list[AuditEntry]:
    """Who exported, erased or changed what, newest first (admin)."""
    return await run_in_threadpool(list_audit, ctx.store, limit=limit, since=since, action=action)
