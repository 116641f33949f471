"""The in-app / web inbox a site or app reads: list a person's messages, report seen/clicked/
dismissed.

Two ways to call it: from a backend with a secret key allowed ``messages:read`` (Bearer, or
Basic with the secret as password), or straight from the site or app with the source's write
key as the HTTP Basic user name and no password, exactly like ``/v1/track``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, authenticate, basic_credentials
from unicx.auth.models import Permission
from unicx.channels.inbox import MAX_LIST, Action, InboxMessage, InboxPage, list_messages, mark
from unicx.errors import AuthError, PermissionDeniedError

router = APIRouter(prefix="/v1", tags=["messaging"])

ProfileId = Annotated[str, Path(min_length=1, max_length=64)]
MessageId = Annotated[str, Path(min_length=1, max_length=200)]


def inbox_caller(request: Request, ctx: Ctx) -> str:
    """The caller's key id (secret key) or source id (write key); 401/403 otherwise."""
    creds = basic_credentials(request.headers.get("authorization"))
    if creds is not None and creds[0] and not creds[1]:
        source_id = ctx.access.resolve_write_key(creds[0])
        if source_id is None:
            raise AuthError("unknown or revoked write key")
        return source_id
    principal = authenticate(request, ctx)
    if not principal.can(Permission.messages_read):
        raise PermissionDeniedError(
            f"role {principal.role.value} lacks permission {Permission.messages_read.value}"
        )
    return principal.key_id


InboxCaller = Annotated[str, Depends(inbox_caller)]


@router.get("/profiles/{profile_id}/messages", response_model=InboxPage)
async def read_inbox(
    ctx: Ctx,
    _: InboxCaller,
    profile_id: ProfileId,
    channel: Literal["web", "in_app"] = "web",
    include_seen: bool = True,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
) -> InboxPage:
    """The person's messages on ``channel``, newest first, without expired or dismissed ones.
    ``include_seen=false`` lists only those not yet seen; ``unseen`` counts them for a badge."""
    return await run_in_threadpool(
        list_messages,
        ctx.store,
        profile_id,
        channel=channel,
        now=ctx.clock.now(),
        include_seen=include_seen,
        limit=limit,
    )


@router.post("/profiles/{profile_id}/messages/{message_id}/{action}", response_model=InboxMessage)
async def mark_message(
    ctx: Ctx,
    _: InboxCaller,
    profile_id: ProfileId,
    message_id: MessageId,
    action: Action,
) -> InboxMessage:
    """Record that the person saw, clicked or dismissed the message. Idempotent: only the first
    call of each action is recorded (and becomes an event journeys can wait on)."""
    return await run_in_threadpool(
        mark, ctx.store, ctx.settings, profile_id, message_id, action, ctx.clock.now()
    )
