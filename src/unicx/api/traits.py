"""Computed traits over HTTP: list definitions, validate and save custom traits, refresh."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, ProfilesReader, ProfilesWriter
from unicx.profiles.custom_traits import (
    CustomTrait,
    TraitDefinition,
    delete_custom_trait,
    list_traits,
    save_custom_trait,
    validate_custom_trait,
)
from unicx.profiles.traits import refresh_workspace
from unicx.store import Store

router = APIRouter(prefix="/v1/traits", tags=["traits"])


class ValidationResult(BaseModel):
    name: str
    valid: bool = True
    compiled_sql: str = Field(description="What refreshes run (casts as TRY_CAST, $now).")


class RefreshSummary(BaseModel):
    profiles: int | None
    trait_rows: int
    computed_rows: int
    custom_rows: int
    seconds: float
    steps: dict[str, float]


class Deleted(BaseModel):
    deleted: str


@router.get("", response_model=list[TraitDefinition])
async def definitions(ctx: Ctx, _: ProfilesReader) -> list[TraitDefinition]:
    """Built-in computed traits and the workspace's custom ones (with validity)."""
    return await run_in_threadpool(list_traits, ctx.settings)


def _validate(store: Store, trait: CustomTrait) -> ValidationResult:
    with store.session() as s:
        return ValidationResult(name=trait.name, compiled_sql=validate_custom_trait(s, trait).sql)


@router.post("/validate", response_model=ValidationResult)
async def validate(ctx: Ctx, _: ProfilesWriter, body: CustomTrait) -> ValidationResult:
    """Check a custom trait without saving it (400 names the broken rule). It runs the
    expression (a dry run), so it needs the permission to save one: ``profiles:write``."""
    return await run_in_threadpool(_validate, ctx.store, body)


@router.post("", response_model=TraitDefinition, status_code=201)
async def save(
    ctx: Ctx,
    _: ProfilesWriter,
    body: CustomTrait,
    replace: Annotated[bool, Query(description="Overwrite a custom trait of that name")] = False,
) -> TraitDefinition:
    """Validate and save a custom trait to traits.toml; values appear at the next refresh."""
    return await run_in_threadpool(
        save_custom_trait, ctx.store, ctx.settings, body, replace=replace
    )


@router.delete("/{name}", response_model=Deleted)
async def delete(ctx: Ctx, _: ProfilesWriter, name: Annotated[str, Path(max_length=63)]) -> Deleted:
    """Remove a custom trait (its values go at the next refresh)."""
    await run_in_threadpool(delete_custom_trait, ctx.settings, name)
    return Deleted(deleted=name)


@router.post("/refresh", response_model=RefreshSummary)
async def refresh(ctx: Ctx, _: ProfilesWriter) -> RefreshSummary:
    """Recompute every profile's traits and computed traits now."""
    report = await run_in_threadpool(refresh_workspace, ctx.store, ctx.settings)
    return RefreshSummary(**vars(report))
