"""Messaging policy: frequency caps per channel and across channels, quiet hours in the
person's time zone, and which consent each channel needs. Checked at send time by the outbox
(:mod:`unicx.channels.outbox`), for every message, whatever queued it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from unicx.channels.config import pydantic_issues
from unicx.clock import duration_seconds
from unicx.errors import FieldIssue, ValidationError
from unicx.store import Session

# The consent purpose a marketing message on a channel needs (None: no purpose applies).
PURPOSE: Mapping[str, str | None] = {
    "email": "email",
    "sms": "sms",
    "push": "push",
    "web": None,
    "in_app": None,
    "webhook": None,
}
POLICY_ROW = 1


def zone_of(name: str | None) -> ZoneInfo | None:
    """The zone named ``name``, or None for anything that is not one. Names come from people's
    traits, so besides unknown keys this covers what ZoneInfo raises for hostile ones: a
    directory ("America"), an over-long name, a NUL byte, a path outside the zone database."""
    if not name or len(name) > 100:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


class CapRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str = Field(default="*", description="A channel name, or * for all channels")
    max: int = Field(ge=0, le=10_000)
    per: str = Field(description="A window such as 1d or 7d")
    seconds: int = 0

    @model_validator(mode="after")
    def window(self) -> CapRule:
        try:
            seconds = duration_seconds(self.per)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        if not 60 <= seconds <= 366 * 86400:
            raise ValueError("a cap window is between 1 minute and 366 days")
        object.__setattr__(self, "seconds", seconds)
        return self

    def label(self) -> str:
        scope = "messages" if self.channel == "*" else f"{self.channel} messages"
        return f"at most {self.max} {scope} per {self.per}"


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: time = time(21, 0)
    end: time = time(8, 0)
    channels: list[str] = Field(default_factory=lambda: ["email", "sms", "push"], max_length=20)

    @model_validator(mode="after")
    def not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours start and end at the same time")
        return self


class MessagingPolicy(BaseModel):
    """Marketing messages only: transactional ones skip caps and quiet hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    caps: list[CapRule] = Field(
        default_factory=lambda: [
            CapRule(channel="email", max=2, per="7d"),
            CapRule(channel="sms", max=1, per="1d"),
            CapRule(channel="*", max=5, per="7d"),
        ],
        max_length=50,
    )
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours)
    timezone: str = "Asia/Ho_Chi_Minh"
    require_consent: bool = Field(
        default=False,
        description="true: marketing needs a recorded grant of the channel's purpose; false: "
        "it goes unless the person withdrew it.",
    )

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        if zone_of(value) is None:
            raise ValueError(f"unknown time zone {value[:100]!r}")
        return value


def check_policy(raw: Any, channels: list[str]) -> MessagingPolicy:
    """Parse and refuse rules that contradict each other or name unknown channels."""
    try:
        policy = MessagingPolicy.model_validate(raw)
    except PydanticValidationError as exc:
        found = pydantic_issues(exc, "policy")
        raise ValidationError(
            "invalid messaging policy: " + found[0].message, issues=found
        ) from None
    issues: list[FieldIssue] = []
    known = {*channels, "*"}
    for i, rule in enumerate(policy.caps):
        if rule.channel not in known:
            issues.append(
                FieldIssue(
                    f"policy.caps[{i}].channel",
                    "unknown_channel",
                    f"unknown channel {rule.channel!r}",
                )
            )
        for j, other in enumerate(policy.caps):
            if j == i or other.channel not in ("*", rule.channel):
                continue
            same = other.channel == rule.channel and other.seconds == rule.seconds
            if same and j < i:
                message = f"duplicates caps[{j}] for the same channel and window"
                issues.append(FieldIssue(f"policy.caps[{i}]", "contradicts", message))
            elif not same and other.seconds >= rule.seconds and other.max < rule.max:
                message = (
                    f"can never apply: caps[{j}] ({other.label()}) is stricter over a "
                    "window at least as long"
                )
                issues.append(FieldIssue(f"policy.caps[{i}]", "contradicts", message))
    if policy.quiet_hours is not None:
        for c in policy.quiet_hours.channels:
            if c not in channels:
                issues.append(
                    FieldIssue(
                        "policy.quiet_hours.channels", "unknown_channel", f"unknown channel {c!r}"
                    )
                )
    if issues:
        raise ValidationError(
            f"invalid messaging policy: {issues[0].field}: {issues[0].message}", issues=issues
        )
    return policy


def read_policy(session: Session) -> MessagingPolicy:
    row = session.fetchone(
        "SELECT policy FROM messaging_policy WHERE id = ?", [POLICY_ROW], step="channels.policy"
    )
    return MessagingPolicy.model_validate(json.loads(str(row[0]))) if row else MessagingPolicy()


def save_policy(session: Session, policy: MessagingPolicy, *, now: datetime) -> None:
    session.execute(
        "INSERT INTO messaging_policy VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "policy = excluded.policy, updated_at = excluded.updated_at",
        [POLICY_ROW, policy.model_dump_json(exclude={"caps": {"__all__": {"seconds"}}}), now],
        step="channels.policy_save",
    )


def quiet_until(
    policy: MessagingPolicy, channel: str, now: datetime, tz: str | None
) -> datetime | None:
    """When a message due ``now`` may go out: None if now, else the end of quiet hours."""
    quiet = policy.quiet_hours
    if quiet is None or channel not in quiet.channels:
        return None
    zone = zone_of(tz) or zone_of(policy.timezone) or ZoneInfo("UTC")
    local = now.astimezone(zone)
    t = local.time()
    overnight = quiet.start > quiet.end
    inside = (t >= quiet.start or t < quiet.end) if overnight else (quiet.start <= t < quiet.end)
    if not inside:
        return None
    day = local.date() if (not overnight or t < quiet.end) else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet.end, tzinfo=zone).astimezone(now.tzinfo)


class CapCounter:
    """Marketing messages already sent per person (and channel) within the longest window,
    plus the ones approved in this batch, to decide each new message against every rule."""

    def __init__(self, policy: MessagingPolicy, history: list[tuple[str, str, datetime]]) -> None:
        self._rules = policy.caps
        self._sent: dict[str, list[tuple[str, datetime]]] = {}
        for profile_id, channel, sent_at in history:
            self._sent.setdefault(profile_id, []).append((channel, sent_at))

    @staticmethod
    def longest(policy: MessagingPolicy) -> timedelta:
        return timedelta(seconds=max((r.seconds for r in policy.caps), default=0))

    def blocking_rule(self, profile_id: str, channel: str, now: datetime) -> CapRule | None:
        sent = self._sent.get(profile_id, [])
        for rule in self._rules:
            if rule.channel not in ("*", channel):
                continue
            since = now - timedelta(seconds=rule.seconds)
            used = sum(1 for c, at in sent if at > since and rule.channel in ("*", c))
            if used >= rule.max:
                return rule
        return None

    def add(self, profile_id: str, channel: str, now: datetime) -> None:
        self._sent.setdefault(profile_id, []).append((channel, now))


def consent_blocks(policy: MessagingPolicy, channel: str, granted: bool | None) -> bool:
    if PURPOSE.get(channel) is None:
        return False
    if granted is None:
        return policy.require_consent
    return not granted


Decision = Literal["send", "defer", "suppress"]
