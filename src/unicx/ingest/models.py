"""Wire models of the Segment HTTP Tracking API, decoded with msgspec on the hot path.

Unknown top-level fields are ignored, as Segment does; declared fields are type-checked
strictly so a wrong type is a 400 that names the field, never a silently mangled event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pydantic import BaseModel, Field

from unicx.config import Settings

EVENT_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
MAX_EVENT_NAME = 512

Id = str | int | None


class Message(msgspec.Struct):
    type: str | None = None
    messageId: Id = None
    userId: Id = None
    anonymousId: Id = None
    event: str | None = None
    name: str | None = None
    category: str | None = None
    channel: str | None = None
    groupId: Id = None
    previousId: Id = None
    timestamp: str | None = None
    originalTimestamp: str | None = None
    sentAt: str | None = None
    traits: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    writeKey: str | None = None


class BatchEnvelope(msgspec.Struct):
    batch: list[msgspec.Raw]
    context: dict[str, Any] | None = None
    integrations: dict[str, Any] | None = None
    sentAt: str | None = None
    writeKey: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The documented input limits, taken from settings once per process."""

    max_event_bytes: int
    max_batch_bytes: int
    max_depth: int
    max_id_length: int
    max_future: timedelta
    min_timestamp: datetime

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_event_bytes=settings.max_event_bytes,
            max_batch_bytes=settings.max_batch_bytes,
            max_depth=settings.max_depth,
            max_id_length=settings.max_id_length,
            max_future=timedelta(seconds=settings.max_future_seconds),
            min_timestamp=settings.min_timestamp,
        )


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What the server knows about a request, independent of its payload."""

    source_id: str
    received_at: datetime
    peer_ip: str | None


MESSAGE_DECODER = msgspec.json.Decoder(Message)
BATCH_DECODER = msgspec.json.Decoder(BatchEnvelope)
ENCODER = msgspec.json.Encoder()


class IngestIssue(BaseModel):
    field: str = Field(description="JSON path of the value, such as batch[3].userId")
    rule: str
    message: str
    index: int | None = Field(
        default=None, description="The call's index in a batch", exclude_if=lambda v: v is None
    )


class IngestAnswer(BaseModel):
    """What a Segment call answers. The routes write it as bytes on the hot path (``{"success":
    true}``); this model documents it. A batch with rejected calls also names them."""

    success: bool
    accepted: int | None = Field(default=None, exclude_if=lambda v: v is None)
    rejected: list[int] | None = Field(
        default=None, description="Indexes of the refused calls", exclude_if=lambda v: v is None
    )
    issues: list[IngestIssue] | None = Field(default=None, exclude_if=lambda v: v is None)
