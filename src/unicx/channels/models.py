"""Public (API) models of the channels domain: channels and their config, the message log,
dead letters and delivery receipts. Fields are the columns the answers always had."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ChannelInfo(BaseModel):
    name: str
    address: str = Field(description="What the channel sends to (email, phone, url, …)")
    required_parts: list[str]
    optional_parts: list[str]
    config_schema: dict[str, Any] = Field(description="JSON Schema of the channel's config")


class ChannelConfigPublic(BaseModel):
    channel: str
    config: dict[str, Any] = Field(description="The provider config, secrets hidden")


class MessageEvent(BaseModel):
    status: str
    happened_at: datetime


class MessagePublic(BaseModel):
    message_id: str
    profile_id: str
    channel: str
    category: str | None
    journey_id: str | None
    node_id: str | None
    status: str
    reason: str | None
    attempts: int
    created_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    address: str | None
    last_error: str | None
    rendered: dict[str, Any] | None = Field(description="The parts as rendered for the person")
    history: list[MessageEvent] = Field(description="What happened afterwards, in order")


class DeadMessage(BaseModel):
    message_id: str
    channel: str
    address: str | None
    attempts: int
    last_error: str | None
    updated_at: datetime


class ReplayResult(BaseModel):
    message_id: str
    channel: str
    status: str
    previous_status: str
    due_at: datetime


class ReceiptSummary(BaseModel):
    received: int
    applied: int = Field(description="Receipts that recorded a new event")
    duplicates: int
    suppressed: int
    unknown: list[int] = Field(description="Indexes of receipts naming no message")
