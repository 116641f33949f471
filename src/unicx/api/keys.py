"""Secret API keys (admin): create (secret shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import AnyPrincipal, Ctx, KeyManager
from unicx.auth.models import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, Principal

router = APIRouter(prefix="/v1", tags=["keys"])


@router.get("/keys", response_model=list[ApiKeyPublic])
async def list_keys(ctx: Ctx, _: KeyManager) -> list[ApiKeyPublic]:
    return await run_in_threadpool(ctx.access.list_api_keys)


@router.post("/keys", response_model=ApiKeyCreated, status_code=201)
async def create_key(ctx: Ctx, _: KeyManager, body: ApiKeyCreate) -> ApiKeyCreated:
    return await run_in_threadpool(ctx.access.create_api_key, body.name, body.role)


@router.delete("/keys/{key_id}", response_model=ApiKeyPublic)
async def revoke_key(
    ctx: Ctx, _: KeyManager, key_id: Annotated[str, Path(max_length=64)]
) -> ApiKeyPublic:
    return await run_in_threadpool(ctx.access.revoke_api_key, key_id)


@router.get("/me", response_model=Principal, tags=["keys"])
async def whoami(principal: AnyPrincipal) -> Principal:
    """The key you are calling with and its role (a cheap way to check a key and the server)."""
    return principal
