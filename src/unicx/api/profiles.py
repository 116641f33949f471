"""The single customer view over HTTP: lookup by any identifier, profile, timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, ProfilesReader
from unicx.errors import ValidationError
from unicx.identity.models import BUILTIN_TYPES, CUSTOM_TYPE_PATTERN
from unicx.profiles import search as profile_search
from unicx.profiles.service import MAX_TIMELINE_PAGE, ProfilePublic, ProfileService, TimelinePage

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])

ProfileId = Annotated[str, Path(min_length=1, max_length=64)]
IdValue = Annotated[str | None, Query(min_length=1, max_length=1024)]


@router.get("/lookup", response_model=ProfilePublic)
async def lookup(
    request: Request,
    ctx: Ctx,
    _: ProfilesReader,
    user_id: IdValue = None,
    email: IdValue = None,
    phone: IdValue = None,
    anonymous_id: IdValue = None,
    device_id: IdValue = None,
    type: Annotated[
        str | None, Query(pattern=CUSTOM_TYPE_PATTERN, description="custom identifier type")
    ] = None,
    value: IdValue = None,
) -> ProfilePublic:
    """The profile holding one identifier: ``?email=…`` (or user_id, phone, anonymous_id,
    device_id), or a custom type as ``?type=crm_id&value=…``. Email and phone are normalized
    first, so ``?phone=0912345678`` finds +84912345678."""
    given = {
        k: v
        for k, v in {
            "user_id": user_id,
            "email": email,
            "phone": phone,
            "anonymous_id": anonymous_id,
            "device_id": device_id,
        }.items()
        if v is not None
    }
    if type is not None or value is not None:
        if type is None or value is None or type in BUILTIN_TYPES:
            raise ValidationError(
                "a custom identifier needs both ?type= (not a built-in) and ?value="
            )
        given[type] = value
    if len(given) != 1:
        raise ValidationError(
            "give exactly one identifier: user_id, email, phone, anonymous_id, device_id "
            "or type+value"
        )
    ((id_type, id_value),) = given.items()
    service = ProfileService(ctx.store)
    return await run_in_threadpool(service.lookup, id_type, id_value)


# Declared before /{profile_id}: FastAPI matches routes in order, and "search" is a valid id.
@router.get("/search", response_model=profile_search.SearchPage)
async def search(
    ctx: Ctx,
    _: ProfilesReader,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=profile_search.MAX_QUERY_CHARS,
            description="An identifier (email, phone in any usual form, user id, anonymous id) "
            "or words of a name; diacritics and case are ignored.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=profile_search.MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=profile_search.MAX_OFFSET)] = 0,
) -> profile_search.SearchPage:
    """Profiles matching ``q``, identifier matches first, then by name (``nguyen van an``
    finds *Nguyễn Văn An*); a page with the total count."""
    return await run_in_threadpool(profile_search.search, ctx.store, q, limit=limit, offset=offset)


@router.get("/{profile_id}", response_model=ProfilePublic)
async def get_profile(ctx: Ctx, _: ProfilesReader, profile_id: ProfileId) -> ProfilePublic:
    """Identifiers, traits and computed traits of one profile."""
    return await run_in_threadpool(ProfileService(ctx.store).get, profile_id)


@router.get("/{profile_id}/events", response_model=TimelinePage)
async def timeline(
    ctx: Ctx,
    _: ProfilesReader,
    profile_id: ProfileId,
    limit: Annotated[int, Query(ge=1, le=MAX_TIMELINE_PAGE)] = 100,
    before: Annotated[str | None, Query(max_length=100, description="next_cursor")] = None,
    messages: Annotated[
        bool, Query(description="Also the messages sent to the person over the same span.")
    ] = False,
) -> TimelinePage:
    """Every event of the person across devices and sources, newest first, paged; with
    ``messages=true`` the message log (queued, sent, suppressed and why, opened...) beside it."""
    service = ProfileService(ctx.store)
    return await run_in_threadpool(
        service.timeline, profile_id, limit=limit, before=before, messages=messages
    )
