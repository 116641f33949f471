"""Channels and the messaging policy (caps, quiet hours, consent rule), the message log, and
the journey clock (tests and demos only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.concurrency import run_in_threadpool

from unicx.api.body import body_schema, read_model
from unicx.api.deps import ChannelsReader, ChannelsWriter, Ctx, JourneysWriter, MessagesReader
from unicx.channels import messages as log_service
from unicx.channels.base import channel_names, get_channel
from unicx.channels.config import read_config, redacted, save_config
from unicx.channels.models import ChannelConfigPublic, ChannelInfo, MessagePublic
from unicx.channels.policy import MessagingPolicy, check_policy, read_policy, save_policy
from unicx.errors import NotFoundError, PermissionDeniedError
from unicx.journeys.models import ClockPublic

router = APIRouter(prefix="/v1", tags=["messaging"])
ChannelName = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


class ConfigBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Free-form: each channel's provider checks its own config (save_config).
    config: dict[str, JsonValue]


class PolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Read as JSON and parsed by check_policy, whose issues name paths under ``policy`` and
    # which also refuses rules that contradict each other.
    policy: dict[str, JsonValue]


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(gt=0, le=366 * 86400)


@router.get("/channels", response_model=list[ChannelInfo])
async def list_channels(ctx: Ctx, _: ChannelsReader) -> list[ChannelInfo]:
    """Every channel with the parts its messages have and its config schema."""

    def run() -> list[ChannelInfo]:
        out = []
        for name in channel_names():
            cls = get_channel(name)
            assert cls is not None
            out.append(
                ChannelInfo(
                    name=name,
                    address=cls.address_kind,
                    required_parts=list(cls.required_parts),
                    optional_parts=list(cls.optional_parts),
                    config_schema=cls.config_model.model_json_schema(),
                )
            )
        return out

    return await run_in_threadpool(run)


def _known(name: str) -> None:
    if get_channel(name) is None:
        raise NotFoundError(f"unknown channel {name!r}; channels: {', '.join(channel_names())}")


@router.get("/channels/{name}", response_model=ChannelConfigPublic)
async def channel_config(ctx: Ctx, _: ChannelsReader, name: ChannelName) -> ChannelConfigPublic:
    """The channel's provider config, secrets hidden."""
    _known(name)

    def run() -> ChannelConfigPublic:
        with ctx.store.session() as s:
            return ChannelConfigPublic(channel=name, config=redacted(read_config(s, name)))

    return await run_in_threadpool(run)


@router.put(
    "/channels/{name}", response_model=ChannelConfigPublic, openapi_extra=body_schema(ConfigBody)
)
async def set_channel_config(
    ctx: Ctx, _: ChannelsWriter, name: ChannelName, request: Request
) -> ChannelConfigPublic:
    _known(name)
    body = await read_model(request, ConfigBody, max_bytes=64 * 1024)

    def run() -> ChannelConfigPublic:
        with ctx.store.session() as s, s.transaction():
            saved = save_config(
                s, name, body.config, now=ctx.clock.now(), allow=ctx.settings.outbound_allow
            )
            return ChannelConfigPublic(channel=name, config=redacted(saved))

    return await run_in_threadpool(run)


@router.get("/messaging/policy", response_model=MessagingPolicy)
async def get_policy(ctx: Ctx, _: ChannelsReader) -> MessagingPolicy:
    """Frequency caps, quiet hours, default time zone and the consent rule."""

    def run() -> MessagingPolicy:
        with ctx.store.session() as s:
            return read_policy(s)

    return await run_in_threadpool(run)


@router.put(
    "/messaging/policy", response_model=MessagingPolicy, openapi_extra=body_schema(PolicyBody)
)
async def put_policy(ctx: Ctx, _: ChannelsWriter, request: Request) -> MessagingPolicy:
    """Replace the policy; rules that contradict each other are refused with their path."""
    body = await read_model(request, PolicyBody, max_bytes=64 * 1024)

    def run() -> MessagingPolicy:
        policy = check_policy(body.policy, channel_names())
        with ctx.store.session() as s, s.transaction():
            save_policy(s, policy, now=ctx.clock.now())
        return policy

    return await run_in_threadpool(run)


@router.get("/messages", response_model=list[MessagePublic])
async def message_log(
    ctx: Ctx,
    _: MessagesReader,
    profile_id: Annotated[str | None, Query(max_length=200)] = None,
    journey: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    reason: Annotated[
        str | None, Query(max_length=200, description="Why it was not sent (e.g. consent).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=log_service.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=log_service.MAX_OFFSET)] = 0,
) -> list[MessagePublic]:
    """The message log, newest first: each message with its status, the reason (suppressed,
    deferred, failed) and what happened to it afterwards (delivered, opened, clicked, ...)."""
    return await run_in_threadpool(
        log_service.message_log,
        ctx.store,
        profile_id=profile_id,
        journey=journey,
        channel=channel,
        status=status,
        reason=reason,
        limit=limit,
        offset=offset,
    )


@router.get("/clock", response_model=ClockPublic)
async def read_clock(ctx: Ctx, _: JourneysWriter) -> ClockPublic:
    """The journeys' clock (real time unless moved with clock_control)."""
    return ClockPublic(now=ctx.clock.now(), offset_s=ctx.clock.offset.total_seconds())


@router.post("/clock", response_model=ClockPublic, openapi_extra=body_schema(ClockMove))
async def move_clock(ctx: Ctx, _: JourneysWriter, request: Request) -> ClockPublic:
    """Move the journey clock forward (only with the clock_control setting: tests, demos)."""
    if not ctx.settings.clock_control:
        raise PermissionDeniedError("the journey clock can only be moved with clock_control on")
    body = await read_model(request, ClockMove, max_bytes=1024)
    now = ctx.clock.advance(timedelta(seconds=body.seconds))
    if ctx.messaging is not None:
        ctx.messaging.wake()
    return ClockPublic(now=now, offset_s=ctx.clock.offset.total_seconds())
