"""FastAPI dependencies: the app context and secret-key authentication with roles."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from unicx.api.context import AppContext
from unicx.auth.models import Permission, Principal
from unicx.errors import AuthError, PermissionDeniedError


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an HTTP Basic header, or None if absent or malformed."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def secret_from_header(header: str | None) -> str | None:
    """Bearer <secret>, or Basic with the secret as password (so a browser can log in)."""
    if not header:
        return None
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    creds = basic_credentials(header)
    return creds[1] or None if creds else None


def authenticate(request: Request, ctx: Ctx) -> Principal:
    secret = secret_from_header(request.headers.get("authorization"))
    if secret is None:
        raise AuthError("a secret API key is required: Authorization: Bearer <secret key>")
    principal = ctx.access.authenticate(secret)
    if principal is None:
        raise AuthError("unknown or revoked secret key")
    return principal


def require(permission: Permission) -> Callable[[Principal], Principal]:
    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.can(permission):
            raise PermissionDeniedError(
                f"role {principal.role.value} lacks permission {permission.value}"
            )
        return principal

    return check


EventsReader = Annotated[Principal, Depends(require(Permission.events_read))]
EventsDeleter = Annotated[Principal, Depends(require(Permission.events_delete))]
SourcesReader = Annotated[Principal, Depends(require(Permission.sources_read))]
SourcesWriter = Annotated[Principal, Depends(require(Permission.sources_write))]
KeyManager = Annotated[Principal, Depends(require(Permission.keys_manage))]
ProfilesReader = Annotated[Principal, Depends(require(Permission.profiles_read))]
ProfilesWriter = Annotated[Principal, Depends(require(Permission.profiles_write))]
IdentityManager = Annotated[Principal, Depends(require(Permission.identity_manage))]
ImportsWriter = Annotated[Principal, Depends(require(Permission.imports_write))]
PrivacyExporter = Annotated[Principal, Depends(require(Permission.privacy_export))]
PrivacyEraser = Annotated[Principal, Depends(require(Permission.privacy_erase))]
SegmentsReader = Annotated[Principal, Depends(require(Permission.segments_read))]
SegmentsWriter = Annotated[Principal, Depends(require(Permission.segments_write))]
SegmentsExporter = Annotated[Principal, Depends(require(Permission.segments_export))]
ReportsReader = Annotated[Principal, Depends(require(Permission.reports_read))]
ModelsReader = Annotated[Principal, Depends(require(Permission.models_read))]
ModelsTrainer = Annotated[Principal, Depends(require(Permission.models_train))]
PersonalizeServer = Annotated[Principal, Depends(require(Permission.personalize_serve))]
PersonalizeWriter = Annotated[Principal, Depends(require(Permission.personalize_write))]
JourneysReader = Annotated[Principal, Depends(require(Permission.journeys_read))]
JourneysWriter = Annotated[Principal, Depends(require(Permission.journeys_write))]
ChannelsReader = Annotated[Principal, Depends(require(Permission.channels_read))]
ChannelsWriter = Annotated[Principal, Depends(require(Permission.channels_write))]
MessagesReader = Annotated[Principal, Depends(require(Permission.messages_read))]
AnyPrincipal = Annotated[Principal, Depends(authenticate)]
