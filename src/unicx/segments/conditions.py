"""The segment condition tree: what a parsed definition holds, and the limits it keeps to.

:mod:`unicx.segments.definition` builds it from JSON (or YAML), the compiler turns it into SQL;
docs/segments.md is the user's reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unicx.errors import FieldIssue, ValidationError

MAX_NODES = 500
MAX_DEPTH = 32
MAX_STRING = 1000
MAX_LIST = 1000
MIN_WINDOW_S = 60
MAX_WINDOW_S = 10 * 366 * 86400
NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")

COMPARE_OPS = ("eq", "neq", "gt", "gte", "lt", "lte")
VALUE_OPS = (*COMPARE_OPS, "in", "not_in", "between", "contains", "starts_with")
PRESENCE_OPS = ("exists", "not_exists")
TIME_OPS = ("within_last", "before_last", "after", "before")
TRAIT_OPS = (*VALUE_OPS, *PRESENCE_OPS, *TIME_OPS, "top_percent")
PROPERTY_OPS = (*VALUE_OPS, *PRESENCE_OPS)
CONTEXT_FIELDS = (
    "country", "city", "device_type", "os_name", "browser_name", "locale", "timezone",
    "channel", "utm_source", "utm_medium", "utm_campaign",
)  # fmt: skip
CONSENT_STATES = ("granted", "denied", "unknown")
ADOPTER_LEVELS = ("product", "category")
Scalar = str | int | float | bool


def issue(path: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", issues=[FieldIssue(path, rule, message)])


@dataclass(frozen=True)
class Compare:
    """An aggregate bound: count or sum ``op`` value (``between``: value is (low, high))."""

    op: str
    value: float | tuple[float, float]

    def holds_for_zero(self) -> bool:
        if isinstance(self.value, tuple):
            return self.value[0] <= 0 <= self.value[1]
        v = self.value
        return {"eq": v == 0, "gt": v < 0, "gte": v <= 0, "lt": v > 0, "lte": v >= 0}[self.op]


@dataclass(frozen=True)
class Window:
    """``last``: seconds before now; else absolute [start, end)."""

    last_s: int | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class PropertyCond:
    path: str
    prop: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class FollowUp:
    path: str
    event: str
    within_s: int
    where: tuple[PropertyCond, ...] = ()


@dataclass(frozen=True)
class EventCond:
    path: str
    event: str
    where: tuple[PropertyCond, ...] = ()
    window: Window | None = None
    count: Compare = field(default_factory=lambda: Compare("gte", 1))
    sum_of: str | None = None
    not_followed_by: FollowUp | None = None


@dataclass(frozen=True)
class TraitCond:
    path: str
    trait: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class ContextCond:
    path: str
    field: str
    op: str
    value: Any = None
    window: Window | None = None


@dataclass(frozen=True)
class SegmentRef:
    path: str
    ref: str


@dataclass(frozen=True)
class ConsentCond:
    path: str
    purpose: str
    state: str


@dataclass(frozen=True)
class HasCond:
    path: str
    identifier: str


@dataclass(frozen=True)
class EarlyAdopter:
    """Bought an item (or category) first seen within ``launched_s`` before now, no later than
    ``bought_s`` after it first appeared."""

    path: str
    level: str
    launched_s: int
    bought_s: int


@dataclass(frozen=True)
class Group:
    path: str
    kind: str  # all | any | not
    children: tuple[Node, ...]


Node = (
    Group | EventCond | TraitCond | ContextCond | SegmentRef | ConsentCond | HasCond | EarlyAdopter
)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, depth first."""
    out: list[Node] = [node]
    if isinstance(node, Group):
        for child in node.children:
            out.extend(walk(child))
    return out
