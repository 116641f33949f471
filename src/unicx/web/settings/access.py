"""Settings: sources and their write keys (add a key to rotate, revoke), and secret API keys
(create with a role, shown once; revoke). The same service calls as /v1/sources and /v1/keys,
with the same permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from unicx.api.deps import Ctx
from unicx.auth.models import Role, SourcePublic
from unicx.errors import FieldIssue
from unicx.web.session import WebUser
from unicx.web.settings.common import (
    NAME_REQUIRED,
    KeyManager,
    NameField,
    SourcesReader,
    SourcesWriter,
    _,
    done,
    field_errors,
    shown_once,
)
from unicx.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[str, Path(max_length=64)]
SOURCES, KEYS = "/settings/sources", "/settings/keys"
CONFIRM_MISMATCH = _("Type the source's name exactly to revoke it.")


@router.get("/settings")
def settings_root(_: SourcesReader) -> RedirectResponse:
    return RedirectResponse(SOURCES, status_code=303)


def masked(source: SourcePublic) -> SourcePublic:
    """Keys by their last characters only: the full key is shown once, when it is issued."""
    return source.for_role(Role.viewer)


def _sources_page(
    request: Request, ctx: Ctx, user: WebUser, *, issues: list[FieldIssue] | None = None,
    name: str = "", status: int = 200,
) -> Response:  # fmt: skip
    sources = [masked(s) for s in ctx.access.list_sources()]
    # Active sources first, newest first within each group.
    sources.sort(key=lambda s: (s.revoked_at is not None, -s.created_at.timestamp()))
    return render(request, "settings/sources.html", user=user, sources=sources,
                  errors=field_errors(issues), name=name, status=status)  # fmt: skip


@router.get(SOURCES)
def sources(request: Request, ctx: Ctx, user: SourcesReader) -> Response:
    return _sources_page(request, ctx, user)


@router.post(SOURCES)
def create_source(request: Request, ctx: Ctx, user: SourcesWriter, name: NameField) -> Response:
    if not name.strip():
        issue = FieldIssue("name", "required", NAME_REQUIRED)
        return _sources_page(request, ctx, user, issues=[issue], name=name, status=400)
    source = ctx.access.create_source(name.strip())
    key = source.write_keys[0]
    return shown_once(request, user, kind="write_key", secret=key.write_key,
                      subject=source.name, back=SOURCES)  # fmt: skip


@router.post(SOURCES + "/{source_id}/keys")
def add_write_key(request: Request, ctx: Ctx, user: SourcesWriter, source_id: Id) -> Response:
    """Rotation, step one: a second key to deploy before the old one is revoked."""
    key = ctx.access.add_write_key(source_id)
    source = ctx.access.get_source(source_id)
    return shown_once(request, user, kind="write_key", secret=key.write_key,
                      subject=source.name, back=SOURCES)  # fmt: skip


@router.post(SOURCES + "/{source_id}/keys/{key_id}/revoke")
def revoke_write_key(ctx: Ctx, _: SourcesWriter, source_id: Id, key_id: Id) -> Response:
    ctx.access.revoke_write_key(source_id, key_id)
    return done(SOURCES, "key_revoked")


@router.post(SOURCES + "/{source_id}/revoke")
def revoke_source(
    request: Request, ctx: Ctx, user: SourcesWriter, source_id: Id,
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Destructive (every key stops working): the user types the source's name."""
    source = ctx.access.get_source(source_id)
    if confirm.strip() != source.name:
        issue = FieldIssue(f"confirm-{source_id}", "mismatch", CONFIRM_MISMATCH)
        return _sources_page(request, ctx, user, issues=[issue], status=400)
    ctx.access.revoke_source(source_id)
    return done(SOURCES, "source_revoked")


# -- secret API keys ------------------------------------------------------------------------


def _keys_page(
    request: Request, ctx: Ctx, user: WebUser, *, issues: list[FieldIssue] | None = None,
    name: str = "", status: int = 200,
) -> Response:  # fmt: skip
    keys = sorted(ctx.access.list_api_keys(),
                  key=lambda k: (k.revoked_at is not None, -k.created_at.timestamp()))  # fmt: skip
    return render(request, "settings/keys.html", user=user, keys=keys, roles=list(Role),
                  errors=field_errors(issues), name=name, status=status)  # fmt: skip


@router.get(KEYS)
def api_keys(request: Request, ctx: Ctx, user: KeyManager) -> Response:
    return _keys_page(request, ctx, user)


@router.post(KEYS)
def create_api_key(
    request: Request, ctx: Ctx, user: KeyManager, name: NameField,
    role: Annotated[Role, Form()] = Role.analyst,
) -> Response:  # fmt: skip
    if not name.strip():
        issue = FieldIssue("name", "required", NAME_REQUIRED)
        return _keys_page(request, ctx, user, issues=[issue], name=name, status=400)
    key = ctx.access.create_api_key(name.strip(), role)
    return shown_once(request, user, kind="api_key", secret=key.secret_key,
                      subject=f"{key.name} ({key.role.value})", back=KEYS)  # fmt: skip


@router.post(KEYS + "/{key_id}/revoke")
def revoke_api_key(ctx: Ctx, _: KeyManager, key_id: Id) -> Response:
    ctx.access.revoke_api_key(key_id)
    return done(KEYS, "key_revoked")
