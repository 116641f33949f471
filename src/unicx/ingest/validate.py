"""Turn request bodies into stored-event rows, or into field issues that say what is wrong.

Rules follow the Segment spec: every call but alias needs userId or anonymousId; track needs
an event name; group a groupId; alias userId and previousId. Limits (size, depth, id length,
timestamp bounds) are in :class:`~unicx.ingest.models.Limits` and docs/limits.md.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from unicx.errors import FieldIssue, IssueList, PayloadTooLargeError, ValidationError
from unicx.ingest.enrich import local_time, parse_user_agent
from unicx.ingest.models import (
    BATCH_DECODER,
    ENCODER,
    EVENT_TYPES,
    MAX_EVENT_NAME,
    MESSAGE_DECODER,
    Id,
    Limits,
    Message,
    RequestInfo,
)
from unicx.ingest.schema import EventRow

_MSGSPEC_PATH = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_MISSING_FIELD = re.compile(r"missing required field `(?P<name>[^`]+)`")


class DecodedBatch(msgspec.Struct):
    rows: list[EventRow]
    issues: list[FieldIssue]
    write_key: str | None


def decode_single(
    body: bytes, *, type_: str, info: RequestInfo, limits: Limits
) -> tuple[EventRow, str | None]:
    """One ``/v1/<type>`` call. Returns the row and any ``writeKey`` found in the body."""
    if len(body) > limits.max_event_bytes:
        raise PayloadTooLargeError(
            f"event is {len(body)} bytes; the limit is {limits.max_event_bytes}",
            issues=[FieldIssue("$", "max_event_bytes", "event too large")],
        )
    msg = _decode_message(body, prefix="")
    row = build_row(msg, body, type_=type_, info=info, limits=limits, prefix="")
    return row, msg.writeKey


def decode_batch(body: bytes, *, info: RequestInfo, limits: Limits) -> DecodedBatch:
    """A ``/v1/batch`` call: valid events become rows, each invalid one an issue with its index."""
    if len(body) > limits.max_batch_bytes:
        raise PayloadTooLargeError(
            f"batch is {len(body)} bytes; the limit is {limits.max_batch_bytes}",
            issues=[FieldIssue("$", "max_batch_bytes", "batch too large")],
        )
    try:
        envelope = BATCH_DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError) as exc:
        raise _as_validation_error(exc, raw=body, prefix="") from exc
    for name in ("context", "integrations"):
        # Merged into every event, so held to the same depth limit as the event's own fields.
        value = getattr(envelope, name)
        if value is not None and _depth(value, limits.max_depth + 1) > limits.max_depth - 1:
            issue = FieldIssue(name, "max_depth", f"nested deeper than {limits.max_depth}")
            raise ValidationError("batch-level field nested too deeply", issues=[issue])
    shared = _BatchDefaults(envelope.context, envelope.integrations, envelope.sentAt)
    rows: list[EventRow] = []
    issues: list[FieldIssue] = []
    for index, raw in enumerate(envelope.batch):
        prefix = f"batch[{index}]"
        try:
            raw_bytes = bytes(raw)
            if len(raw_bytes) > limits.max_event_bytes:
                raise ValidationError(
                    "event too large",
                    issues=[
                        FieldIssue(
                            prefix,
                            "max_event_bytes",
                            f"event is {len(raw_bytes)} bytes; limit {limits.max_event_bytes}",
                        )
                    ],
                )
            msg = _decode_message(raw_bytes, prefix=prefix)
            shared.apply(msg)
            rows.append(
                build_row(msg, raw_bytes, type_=None, info=info, limits=limits, prefix=prefix)
            )
        except ValidationError as exc:
            if any(i.rule == "utf8" for i in exc.issues):
                raise  # a body-level fault rejects the whole request (docs/decisions.md)
            issues.extend(FieldIssue(i.field, i.rule, i.message, index=index) for i in exc.issues)
    return DecodedBatch(rows=rows, issues=issues, write_key=envelope.writeKey)


class _BatchDefaults:
    """Batch-level context, integrations and sentAt apply to every event that lacks its own."""

    def __init__(self, context: Any, integrations: Any, sent_at: str | None) -> None:
        self.context = context
        self.integrations = integrations
        self.sent_at = sent_at

    def apply(self, msg: Message) -> None:
        if self.context:
            msg.context = {**self.context, **(msg.context or {})}
        if self.integrations:
            msg.integrations = {**self.integrations, **(msg.integrations or {})}
        if msg.sentAt is None:
            msg.sentAt = self.sent_at


def _decode_message(raw: bytes, *, prefix: str) -> Message:
    try:
        return MESSAGE_DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError) as exc:
        raise _as_validation_error(exc, raw=raw, prefix=prefix) from exc


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_validation_error(exc: BaseException, *, raw: bytes, prefix: str) -> ValidationError:
    field = prefix or "$"
    if isinstance(exc, RecursionError):
        return ValidationError(
            "JSON nested too deeply", issues=[FieldIssue(field, "max_depth", "nested too deeply")]
        )
    # Checked on the bytes, not read off the decoder's exception: its class and wording change
    # between msgspec releases (0.23 reports a DecodeError), the 400's rule must not.
    if not _is_utf8(raw):
        return ValidationError(
            "body is not valid UTF-8", issues=[FieldIssue(field, "utf8", "invalid UTF-8")]
        )
    text = str(exc)
    if isinstance(exc, msgspec.ValidationError):
        m = _MSGSPEC_PATH.match(text)
        path = (m.group("path") if m else "") or ""
        missing = _MISSING_FIELD.search(text)
        if missing:
            path = f"{path}.{missing.group('name')}"
        rule = "required" if missing else "type"
        if m and m.group("msg").startswith("Expected `object`"):
            rule = "object"
        full = f"{prefix}{path}" if prefix else (path.lstrip(".") or "$")
        return ValidationError(f"{full}: {text}", issues=[FieldIssue(full, rule, text)])
    return ValidationError(f"malformed JSON: {text}", issues=[FieldIssue(field, "json", text)])


def build_row(
    msg: Message,
    raw: bytes,
    *,
    type_: str | None,
    info: RequestInfo,
    limits: Limits,
    prefix: str,
) -> EventRow:
    """Check the spec rules, correct the clock and enrich: one row or a ValidationError."""
    issues = IssueList()
    p = f"{prefix}." if prefix else ""
    kind = type_ or msg.type
    if kind is None:
        issues.add(f"{p}type", "required", "type is required in a batch item")
    elif kind not in EVENT_TYPES:
        issues.add(f"{p}type", "enum", f"type must be one of {sorted(EVENT_TYPES)}")
    ids = {
        name: None if value is None else _clean_id(value, f"{p}{name}", limits, issues)
        for name, value in (
            ("messageId", msg.messageId),
            ("userId", msg.userId),
            ("anonymousId", msg.anonymousId),
            ("groupId", msg.groupId),
            ("previousId", msg.previousId),
        )
    }
    _check_type_rules(kind, msg, ids, p, issues)
    _check_depth(raw, msg, limits, p, issues)
    received = info.received_at
    original = _parse_ts(msg.timestamp or msg.originalTimestamp, f"{p}timestamp", issues)
    sent_at = _parse_ts(msg.sentAt, f"{p}sentAt", issues)
    if issues.items:
        raise ValidationError("invalid event", issues=issues.items)
    ts = received
    if original is not None:
        # Segment's skew correction: the device clock may be off, but sentAt and timestamp
        # come from the same clock, so their difference is trustworthy.
        try:
            ts = received - (sent_at - original) if sent_at is not None else original
        except OverflowError:
            # Corrected time beyond year 1 or 9999: clamp so the bounds below reject it.
            future = sent_at is not None and sent_at < original
            ts = (datetime.max if future else datetime.min).replace(tzinfo=UTC)
    if ts > received + limits.max_future:
        issues.add(f"{p}timestamp", "not_future", "timestamp is too far in the future")
    elif ts < limits.min_timestamp:
        issues.add(
            f"{p}timestamp", "min_timestamp", f"timestamp is before {limits.min_timestamp:%Y-%m-%d}"
        )
    if issues.items:
        raise ValidationError("invalid event", issues=issues.items)
    return _row(msg, raw, str(kind), ids, ts, original, sent_at, info)


def _check_type_rules(
    kind: str | None, msg: Message, ids: dict[str, str | None], p: str, issues: IssueList
) -> None:
    if kind == "alias":
        for need in ("userId", "previousId"):
            if ids[need] is None:
                issues.add(f"{p}{need}", "required", f"alias requires {need}")
    elif not ids["userId"] and not ids["anonymousId"]:
        issues.add(f"{p}userId", "user_or_anonymous_id", "userId or anonymousId is required")
    if kind == "track":
        if not msg.event or not msg.event.strip():
            issues.add(f"{p}event", "required", "track requires a non-empty event name")
        elif len(msg.event) > MAX_EVENT_NAME:
            issues.add(f"{p}event", "max_length", f"event name over {MAX_EVENT_NAME} characters")
    if kind == "group" and ids["groupId"] is None:
        issues.add(f"{p}groupId", "required", "group requires groupId")
    for field, value in (("name", msg.name), ("category", msg.category), ("channel", msg.channel)):
        if value is not None and len(value) > MAX_EVENT_NAME:
            issues.add(f"{p}{field}", "max_length", f"{field} over {MAX_EVENT_NAME} characters")


def _clean_id(value: Id, field: str, limits: Limits, issues: IssueList) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if not text:
        return None
    if len(text) > limits.max_id_length:
        issues.add(field, "max_length", f"longer than {limits.max_id_length} characters")
    return text


def _check_depth(raw: bytes, msg: Message, limits: Limits, p: str, issues: IssueList) -> None:
    # Counting brackets is a cheap upper bound on depth; walk the objects only when it is high.
    if raw.count(b"{") + raw.count(b"[") <= limits.max_depth:
        return
    for name in ("traits", "properties", "context", "integrations"):
        value = getattr(msg, name)
        if value is not None and _depth(value, limits.max_depth + 1) > limits.max_depth - 1:
            issues.add(f"{p}{name}", "max_depth", f"nested deeper than {limits.max_depth}")


def _depth(value: Any, cap: int) -> int:
    """Nesting depth of decoded JSON, iterative so hostile input cannot blow the stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest >= cap:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item if isinstance(v, dict | list))
    return deepest


def _parse_ts(value: str | None, field: str, issues: IssueList) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        issues.add(field, "iso8601", f"not an ISO-8601 date-time: {value[:64]!r}")
        return None
    try:
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 has no UTC datetime
        issues.add(field, "range", f"outside years 1-9999 in UTC: {value[:64]!r}")
        return None


def _message_id(given: str | None, raw: bytes, original: datetime | None, source: str) -> str:
    if given is not None:
        return given
    if original is not None:
        # A client retry resends the same bytes; a content hash keeps that idempotent too.
        return "auto-" + hashlib.blake2b(source.encode() + b"\0" + raw, digest_size=16).hexdigest()
    return "auto-" + uuid.uuid4().hex


def _text(mapping: Any, key: str) -> str | None:
    if isinstance(mapping, dict):
        value = mapping.get(key)
        if isinstance(value, str) and value:
            return value[:2048]
    return None


_NONE2: tuple[None, ...] = (None, None)
_NONE3: tuple[None, ...] = (None, None, None)
_NONE5: tuple[None, ...] = (None,) * 5
_CAMPAIGN_KEYS = ("source", "medium", "name", "term", "content")
_PAGE_KEYS = ("url", "path", "referrer")


def _texts(mapping: Any, keys: tuple[str, ...], missing: tuple[None, ...]) -> tuple[Any, ...]:
    """Several short strings of one context object at once: one call instead of one per key."""
    if type(mapping) is not dict:
        return missing
    return tuple([v[:2048] if type(v) is str and v else None for v in map(mapping.get, keys)])


def _traits(msg: Message, kind: str, ctx: dict[str, Any]) -> dict[str, Any] | None:
    # RudderStack SDKs send identify traits only in context.traits; take them from there so an
    # identify means the same to profiles whichever SDK sent it.
    if msg.traits is None and kind == "identify" and isinstance(ctx.get("traits"), dict):
        traits: dict[str, Any] = ctx["traits"]
        return traits
    return msg.traits


def _json(value: dict[str, Any] | None) -> str | None:
    return ENCODER.encode(value).decode() if value is not None else None


def _row(
    msg: Message,
    raw: bytes,
    kind: str,
    ids: dict[str, str | None],
    ts: datetime,
    original: datetime | None,
    sent_at: datetime | None,
    info: RequestInfo,
) -> EventRow:
    ctx = msg.context or {}
    ua = _text(ctx, "userAgent")
    device = parse_user_agent(ua) if ua else parse_user_agent("")
    tz, hour, weekday = local_time(ts, ctx.get("timezone"))
    page = _texts(ctx.get("page"), _PAGE_KEYS, _NONE3)
    if None in page:
        # Page calls carry url/path/referrer in their properties when the context lacks them.
        props = _texts(msg.properties, _PAGE_KEYS, _NONE3)
        page = tuple([c or p for c, p in zip(page, props, strict=True)])
    return (
        info.source_id,
        _message_id(ids["messageId"], raw, original, info.source_id),
        kind,
        msg.event,
        msg.name,
        msg.category or None,
        msg.channel or None,
        ids["userId"],
        ids["anonymousId"],
        ids["groupId"],
        ids["previousId"],
        ts,
        original,
        sent_at,
        info.received_at,
        _json(_traits(msg, kind, ctx)),
        _json(msg.properties),
        _json(msg.context),
        _json(msg.integrations),
        _text(ctx, "ip") or info.peer_ip,
        _text(ctx, "locale"),
        tz,
        hour,
        weekday,
        ua,
        *device,
        *page,
        *_texts(ctx.get("campaign"), _CAMPAIGN_KEYS, _NONE5),
        *_texts(ctx.get("location"), ("country", "city"), _NONE2),
        *_texts(ctx.get("library"), ("name", "version"), _NONE2),
    )
