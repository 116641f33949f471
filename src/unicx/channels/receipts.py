"""Delivery receipts: SMS gateways and push services calling back with what became of a message.

A receipt names the message by the provider's id (stored at send time) or by our message id,
and says delivered, read, failed, undelivered or bounced. Each batch is applied in one
transaction: a ``message_events`` row per new outcome, the message's status moved forward
(sent → delivered / failed / bounced; a message already delivered never moves back), and a
suppression for hard failures so the dead number or token is not paid for again.

Providers retry their callbacks, so a repeated receipt is counted as a duplicate and changes
nothing; ids we do not know are listed by index in the answer instead of failing the batch.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from unicx.channels.config import read_config
from unicx.channels.models import ReceiptSummary
from unicx.errors import (
    AuthError,
    FieldIssue,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from unicx.store import Session, Store

MAX_RECEIPT_BYTES = 1024 * 1024
MAX_RECEIPTS = 1000
ReceiptStatus = Literal["delivered", "failed", "undelivered", "bounced", "read"]
# What each receipt status is recorded as, and which message status it moves a sent one to.
EVENT_FOR = {"delivered": "delivered", "read": "read", "failed": "failed",
             "undelivered": "failed", "bounced": "bounced"}  # fmt: skip
STATUS_FOR = {"delivered": "delivered", "read": "delivered", "failed": "failed",
              "bounced": "bounced"}  # fmt: skip


class Receipt(BaseModel):
    """One callback item. Fields other than these are ignored: providers add their own."""

    model_config = ConfigDict(extra="ignore")

    message_id: str | None = Field(default=None, min_length=1, max_length=200)
    provider_id: str | None = Field(default=None, min_length=1, max_length=200)
    status: ReceiptStatus
    error: str | None = Field(default=None, max_length=1000)
    permanent: bool = Field(
        default=False, description="failed/undelivered for good (dead number): suppress it"
    )
    at: datetime | None = None

    @field_validator("message_id", "provider_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> Any:
        # Many gateways send numeric ids.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _named(self) -> Receipt:
        if self.message_id is None and self.provider_id is None:
            raise ValueError("a receipt needs provider_id or message_id")
        return self

    @property
    def hard(self) -> bool:
        return self.status == "bounced" or (
            self.status in ("failed", "undelivered") and self.permanent
        )


_BATCH = TypeAdapter(list[Receipt])


@dataclass
class ReceiptReport:
    received: int = 0
    applied: int = 0  # receipts that recorded a new event
    duplicates: int = 0
    suppressed: int = 0
    unknown: list[int] = field(default_factory=list)  # indexes of receipts naming no message

    def summary(self) -> ReceiptSummary:
        return ReceiptSummary(received=self.received, applied=self.applied,
                              duplicates=self.duplicates, suppressed=self.suppressed,
                              unknown=self.unknown)  # fmt: skip


def check_token(session: Session, channel: str, token: str | None) -> None:
    """401 unless ``token`` is the channel's receipt_token (constant-time compare)."""
    config = read_config(session, channel)  # NotFoundError for an unknown channel
    if "receipt_token" not in type(config).model_fields:
        raise NotFoundError(f"channel {channel!r} takes no delivery receipts")
    expected = str(getattr(config, "receipt_token", ""))
    if not expected:
        raise AuthError(f"delivery receipts are off for {channel}: set its receipt_token")
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise AuthError("missing or wrong receipt token")


def parse_receipts(raw: bytes) -> list[Receipt]:
    """A JSON object or a list of them; 400 naming the field, 413 over the limits."""
    if len(raw) > MAX_RECEIPT_BYTES:
        raise PayloadTooLargeError(
            f"receipts body is over {MAX_RECEIPT_BYTES} bytes",
            issues=[FieldIssue("$", "max_bytes", f"at most {MAX_RECEIPT_BYTES} bytes")],
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            "body is not valid JSON", issues=[FieldIssue("$", "json", str(exc)[:200])]
        ) from None
    items = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValidationError(
            "body must be a receipt object or a list of them",
            issues=[FieldIssue("$", "type", "object or array expected")],
        )
    if len(items) > MAX_RECEIPTS:
        raise PayloadTooLargeError(
            f"at most {MAX_RECEIPTS} receipts per request",
            issues=[FieldIssue("$", "max_items", f"{len(items)} receipts > {MAX_RECEIPTS}")],
        )
    try:
        return _BATCH.validate_python(items)
    except PydanticValidationError as exc:
        issues = [
            FieldIssue(
                "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]) or "$",
                e["type"],
                e["msg"],
            )
            for e in exc.errors()[:20]
        ]
        raise ValidationError(f"{issues[0].field}: {issues[0].message}", issues=issues) from None


def _when(receipt: Receipt, now: datetime) -> datetime:
    if receipt.at is None:
        return now
    at = receipt.at if receipt.at.tzinfo else receipt.at.replace(tzinfo=UTC)
    return min(at, now)  # a provider clock ahead of ours must not date events in the future


@dataclass
class _Known:
    """The messages the receipts name (by our id and the provider's) and the events they have."""

    by_mid: dict[str, dict[str, Any]]
    by_pid: dict[str, dict[str, Any]]
    seen: set[tuple[str, str]]  # (message_id, event status)

    def find(self, receipt: Receipt) -> dict[str, Any] | None:
        row = self.by_mid.get(receipt.message_id) if receipt.message_id else None
        if row is None and receipt.provider_id:
            row = self.by_pid.get(receipt.provider_id)
        return row


@dataclass
class _Changes:
    """What the receipts write: new events, message statuses (moved forward only) and
    suppressed addresses."""

    channel: str
    now: datetime
    status: dict[str, str]
    before: dict[str, str] = field(default_factory=dict)
    events: list[list[Any]] = field(default_factory=list)
    suppress: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.before = dict(self.status)

    def record(self, row: dict[str, Any], receipt: Receipt, event: str) -> None:
        mid = row["message_id"]
        detail = {"source": "receipt", "receipt_status": receipt.status,
                  "error": receipt.error, "provider_id": row["provider_id"]}  # fmt: skip
        when = _when(receipt, self.now)
        self.events.append([mid, row["profile_id"], self.channel, event, when,
                            json.dumps(detail, ensure_ascii=False)])  # fmt: skip
        # Forward only: a sent message takes the outcome; delivered (or any later state)
        # stays, so a late or out-of-order "failed" never undoes a delivery.
        if self.status[mid] == "sent":
            self.status[mid] = STATUS_FOR[event]
        if receipt.hard and row["address"]:
            reason = f"hard bounce (receipt): {receipt.error or receipt.status}"[:500]
            self.suppress[row["address"]] = [
                self.channel,
                row["address"],
                reason,
                row["profile_id"],
                self.now,
            ]


def apply_receipts(
    session: Session, channel: str, receipts: list[Receipt], *, now: datetime
) -> ReceiptReport:
    """Record ``receipts`` of ``channel``; call inside a transaction."""
    report = ReceiptReport(received=len(receipts))
    known = _lookup(session, channel, receipts)
    changes = _Changes(
        channel, now, status={mid: str(r["status"]) for mid, r in known.by_mid.items()}
    )
    for index, receipt in enumerate(receipts):
        row = known.find(receipt)
        if row is None:
            report.unknown.append(index)
            continue
        event = "bounced" if receipt.hard else EVENT_FOR[receipt.status]
        if (row["message_id"], event) in known.seen:
            report.duplicates += 1
            continue
        known.seen.add((row["message_id"], event))
        report.applied += 1
        changes.record(row, receipt, event)
    _write(session, changes)
    report.suppressed = len(changes.suppress)
    return report


def _lookup(session: Session, channel: str, receipts: list[Receipt]) -> _Known:
    mids = [r.message_id for r in receipts if r.message_id]
    pids = [r.provider_id for r in receipts if r.provider_id]
    rows = session.fetch_dicts(
        "SELECT message_id, provider_id, profile_id, status, address FROM messages "
        "WHERE channel = $c AND (list_contains($mids, message_id) "
        "OR list_contains($pids, provider_id))",
        {"c": channel, "mids": mids, "pids": pids},
        step="receipts.lookup",
    )
    by_mid = {r["message_id"]: r for r in rows}
    seen = session.fetchall(
        "SELECT DISTINCT message_id, status FROM message_events "
        "WHERE list_contains($ids, message_id)",
        {"ids": list(by_mid)},
        step="receipts.seen",
    )
    return _Known(
        by_mid=by_mid,
        by_pid={r["provider_id"]: r for r in rows if r["provider_id"]},
        seen={(mid, status) for mid, status in seen},
    )


def _write(session: Session, changes: _Changes) -> None:
    for start in range(0, len(changes.events), 200):
        chunk = changes.events[start : start + 200]
        session.execute(
            "INSERT INTO message_events VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk)),
            [value for event_row in chunk for value in event_row],
            step="receipts.events",
        )
    for mid, new in changes.status.items():
        if new != changes.before[mid]:
            session.execute(
                "UPDATE messages SET status = ?, updated_at = ? "
                "WHERE message_id = ? AND status = 'sent'",
                [new, changes.now, mid],
                step="receipts.status",
            )
    for values in changes.suppress.values():
        session.execute(
            "INSERT INTO suppressions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            values,
            step="receipts.suppress",
        )


def handle_receipts(
    store: Store, channel: str, token: str | None, raw: bytes, *, now: datetime
) -> ReceiptReport:
    """Authenticate, parse and apply a receipt callback body (one transaction)."""
    with store.session() as s:
        check_token(s, channel, token)
        receipts = parse_receipts(raw)
        with s.transaction():
            return apply_receipts(s, channel, receipts, now=now)
