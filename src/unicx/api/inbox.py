"""The in-app / web inbox a site or app reads: list a person's messages, report seen/clicked/
dismissed.

Two ways to call it: from a backend with a secret key (reading needs ``messages:read``,
marking ``messages:write``: marketer and admin), or straight from the site or app with the
source's write key as the HTTP Basic user name *and* the person's token (headers
``X-Unicx-User-Id`` and ``X-Unicx-User-Token``: HMAC-SHA256 of the user id with the workspace's
person-token secret, computed by the site's backend). Without a valid token the answer is 401
whoever the profile is, and a token opens only the profile that holds its user id (403 for any
other, existing or not): the answers never tell whether a profile exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from unicx.api.deps import Ctx, KeyManager, authenticate, basic_credentials
from unicx.auth.models import Permission
from unicx.channels.inbox import MAX_LIST, Action, InboxMessage, InboxPage, list_messages, mark
from unicx.channels.person_token import read_secret, require_own_profile, verify
from unicx.errors import AuthError, PermissionDeniedError

router = APIRouter(prefix="/v1", tags=["messaging"])

ProfileId = Annotated[str, Path(min_length=1, max_length=64)]
MessageId = Annotated[str, Path(min_length=1, max_length=200)]


@dataclass(frozen=True)
class InboxCaller:
    """A secret key allowed the call, or a person (write key + token) for their own profile."""

    user_id: str | None


def _caller(request: Request, ctx: Ctx, permission: Permission) -> InboxCaller:
    creds = basic_credentials(request.headers.get("authorization"))
    if creds is not None and creds[0] and not creds[1]:
        if ctx.access.resolve_write_key(creds[0]) is None:
            raise AuthError("unknown or revoked write key")
        headers = request.headers
        user_id = verify(
            ctx.store, headers.get("x-unicx-user-id"), headers.get("x-unicx-user-token")
        )
        return InboxCaller(user_id=user_id)
    principal = authenticate(request, ctx)
    if not principal.can(permission):
        raise PermissionDeniedError(
            f"role {principal.role.value} lacks permission {permission.value}"
        )
    return InboxCaller(user_id=None)


def inbox_reader(request: Request, ctx: Ctx) -> InboxCaller:
    return _caller(request, ctx, Permission.messages_read)


def inbox_writer(request: Request, ctx: Ctx) -> InboxCaller:
    return _caller(request, ctx, Permission.messages_write)


Reader = Annotated[InboxCaller, Depends(inbox_reader)]
Writer = Annotated[InboxCaller, Depends(inbox_writer)]


async def _check_person(ctx: Ctx, caller: InboxCaller, profile_id: str) -> None:
    if caller.user_id is not None:
        await run_in_threadpool(require_own_profile, ctx.store, profile_id, caller.user_id)


@router.get("/profiles/{profile_id}/messages", response_model=InboxPage)
async def read_inbox(
    ctx: Ctx,
    caller: Reader,
    profile_id: ProfileId,
    channel: Literal["web", "in_app"] = "web",
    include_seen: bool = True,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 50,
) -> InboxPage:
    """The person's messages on ``channel``, newest first, without expired or dismissed ones.
    ``include_seen=false`` lists only those not yet seen; ``unseen`` counts them for a badge."""
    await _check_person(ctx, caller, profile_id)
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
    caller: Writer,
    profile_id: ProfileId,
    message_id: MessageId,
    action: Action,
) -> InboxMessage:
    """Record that the person saw, clicked or dismissed the message. Idempotent: only the first
    call of each action is recorded (and becomes an event journeys can wait on)."""
    await _check_person(ctx, caller, profile_id)
    return await run_in_threadpool(
        mark, ctx.store, ctx.settings, profile_id, message_id, action, ctx.clock.now()
    )


class PersonTokenSecret(BaseModel):
    secret: str
    algorithm: str = "HMAC-SHA256 over the UTF-8 user id, lowercase hex"


@router.get("/inbox/person-token-secret", response_model=PersonTokenSecret)
async def person_token_secret(ctx: Ctx, _: KeyManager) -> PersonTokenSecret:
    """The secret the site's backend signs its users' ids with (admin only; keep it there)."""
    return PersonTokenSecret(secret=await run_in_threadpool(read_secret, ctx.store))
