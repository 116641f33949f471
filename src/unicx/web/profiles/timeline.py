"""Profile 360's timeline: the person's events and messages as one list, newest first, paged.

``type=all`` pages through events and shows the messages created in the same span (the
profiles service's own pairing), ``type=events`` narrows to events (``event=`` one track name),
``type=messages`` pages through the message log alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from unicx.api.context import AppContext
from unicx.channels.messages import message_log
from unicx.channels.models import MessagePublic
from unicx.errors import FieldIssue, ValidationError
from unicx.ingest.query import EventPublic
from unicx.profiles.service import ProfileService

PAGE = 25
Kind = Literal["all", "events", "messages"]
KINDS: tuple[Kind, ...] = ("all", "events", "messages")
# Offered in the event-name box; any other name can be typed.
COMMON_EVENTS = ("Product Viewed", "Product Added", "Cart Viewed", "Checkout Started",
                 "Order Completed", "Order Refunded", "Products Searched", "Signed Up",
                 "Consent Updated", "Email Opened", "Email Link Clicked")  # fmt: skip


@dataclass(frozen=True)
class Entry:
    at: datetime
    event: EventPublic | None = None
    message: MessagePublic | None = None


@dataclass(frozen=True)
class TimelineView:
    entries: list[Entry]
    kind: Kind
    event: str | None
    next_cursor: str | None
    cursor: str | None


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        issue = FieldIssue("type", "enum", "one of all, events, messages")
        raise ValidationError("type: one of all, events, messages", issues=[issue])
    return kind


def load(
    ctx: AppContext, profile_id: str, *, kind: Kind, event: str | None, before: str | None
) -> TimelineView:
    if kind == "messages":
        entries, cursor = _messages(ctx, profile_id, before)
    else:
        entries, cursor = _events(ctx, profile_id, kind=kind, event=event, before=before)
    return TimelineView(entries, kind, event, cursor, before)


def _events(
    ctx: AppContext, profile_id: str, *, kind: Kind, event: str | None, before: str | None
) -> tuple[list[Entry], str | None]:
    with_messages = kind == "all" and event is None
    page = ProfileService(ctx.store).timeline(
        profile_id, limit=PAGE, before=before, messages=with_messages, event=event
    )
    entries = [Entry(at=e.timestamp, event=e) for e in page.events]
    for raw in page.messages or []:
        message = MessagePublic.model_validate(raw)
        entries.append(Entry(at=message.created_at, message=message))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries, page.next_cursor


def _messages(
    ctx: AppContext, profile_id: str, before: str | None
) -> tuple[list[Entry], str | None]:
    ProfileService(ctx.store).get_head(profile_id)
    upper = _message_cursor(before)
    found = message_log(ctx.store, profile_id=profile_id, created_before=upper, limit=PAGE + 1)
    more = len(found) > PAGE
    found = found[:PAGE]
    cursor = found[-1].created_at.isoformat() if more else None
    return [Entry(at=m.created_at, message=m) for m in found], cursor


def _message_cursor(before: str | None) -> datetime | None:
    if before is None:
        return None
    try:
        return datetime.fromisoformat(before)
    except ValueError:
        raise ValidationError("before: not a page of this timeline") from None


def summary(event: EventPublic) -> dict[str, Any]:
    """The few properties worth a line in the timeline (the whole event is one click away)."""
    props = event.properties or {}
    keep = ("order_id", "revenue", "total", "value", "currency", "name", "sku", "product_id",
            "category", "price", "query", "url", "path")  # fmt: skip
    return {k: props[k] for k in keep if k in props and props[k] not in (None, "", [])}
