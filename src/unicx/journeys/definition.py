"""The journey definition language: a typed tree (pydantic) parsed from JSON or YAML.

A journey has an entry (an event, ``Segment Entered``, or a schedule over a segment), a
re-entry policy, global exit events, an optional goal and holdout, and a graph of nodes keyed
by id. Parsing checks shapes and values; :mod:`unicx.journeys.validate` checks the graph and
what names refer to. docs/journeys.md is the user's reference.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from unicx.clock import duration_seconds
from unicx.errors import FieldIssue, ValidationError

MAX_NODES = 200
MAX_WAIT_S = 365 * 86400
NODE_ID = r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Stage = Literal[
    "awareness", "interest", "consideration", "intent", "purchase", "conversion", "retention",
    "loyalty",
]  # fmt: skip
Op = Literal["eq", "neq", "gt", "gte", "lt", "lte", "in", "contains", "exists", "not_exists"]
STAGES: tuple[str, ...] = get_args(Stage)

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
NodeId = Annotated[str, Field(pattern=NODE_ID)]


def _all_days() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(Strict):
    """Holds the text as written and its length in seconds."""

    text: str
    seconds: int


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        seconds = duration_seconds(value)
        if seconds <= 0:
            raise ValueError("must be longer than zero")
        if seconds > MAX_WAIT_S:
            raise ValueError("must be at most 365 days")
        return {"text": value.strip(), "seconds": seconds}
    if isinstance(value, dict):
        return value
    raise ValueError("must be a duration text such as 30m, 1h, 2d or 1w")


class PropertyFilter(Strict):
    property: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def value_fits(self) -> PropertyFilter:
        if self.op in ("exists", "not_exists"):
            return self
        if self.value is None:
            raise ValueError(f"op {self.op!r} needs a value")
        if self.op == "in" and not (isinstance(self.value, list) and 0 < len(self.value) <= 1000):
            raise ValueError("op 'in' needs a non-empty list (at most 1000 values)")
        if self.op in ("gt", "gte", "lt", "lte") and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float | str)
        ):
            raise ValueError(f"op {self.op!r} needs a number or a date text")
        return self


class EventMatch(Strict):
    """An event by name, optionally with conditions on its properties (all must hold)."""

    event: Name
    where: list[PropertyFilter] = Field(default_factory=list, max_length=20)


class EventEntry(Strict):
    type: Literal["event"]
    event: Name
    where: list[PropertyFilter] = Field(default_factory=list, max_length=20)


class SegmentEntry(Strict):
    """People enter when they enter the segment (``Segment Entered``)."""

    type: Literal["segment"]
    segment: Name


class ScheduleEntry(Strict):
    """Every member of the segment enters at a local time on the given weekdays."""

    type: Literal["schedule"]
    segment: Name
    at: time
    weekdays: list[Weekday] = Field(default_factory=_all_days, min_length=1, max_length=7)


Entry = Annotated[EventEntry | SegmentEntry | ScheduleEntry, Field(discriminator="type")]


class Reentry(Strict):
    policy: Literal["once", "always", "cooldown"] = "once"
    cooldown: Duration | None = None

    _d = field_validator("cooldown", mode="before")(_duration)

    @model_validator(mode="after")
    def cooldown_given(self) -> Reentry:
        if (self.policy == "cooldown") != (self.cooldown is not None):
            raise ValueError("a cooldown is given with, and only with, policy 'cooldown'")
        return self


class Goal(EventMatch):
    """Conversion: the goal event within ``within`` of entering."""

    within: Duration

    _d = field_validator("within", mode="before")(_duration)


class NodeBase(Strict):
    name: str | None = Field(default=None, max_length=200)
    stage: Stage | None = None


class LocalTime(Strict):
    at: time
    weekdays: list[Weekday] = Field(default_factory=_all_days, min_length=1, max_length=7)


class WaitNode(NodeBase):
    """Exactly one of: ``for`` a duration; ``until`` a local time of day (on weekdays); an
    ``event`` (with ``timeout`` → ``timeout_next``)."""

    type: Literal["wait"]
    for_: Duration | None = Field(default=None, alias="for")
    until: LocalTime | None = None
    event: EventMatch | None = None
    timeout: Duration | None = None
    next: NodeId
    timeout_next: NodeId | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _d = field_validator("for_", "timeout", mode="before")(_duration)

    @model_validator(mode="after")
    def one_kind(self) -> WaitNode:
        kinds = [
            k
            for k, v in (("for", self.for_), ("until", self.until), ("event", self.event))
            if v is not None
        ]
        if len(kinds) != 1:
            raise ValueError("give exactly one of 'for', 'until' or 'event'")
        if self.event is not None and (self.timeout is None or self.timeout_next is None):
            raise ValueError("a wait for an event needs 'timeout' and 'timeout_next'")
        if self.event is None and (self.timeout is not None or self.timeout_next is not None):
            raise ValueError("'timeout' and 'timeout_next' belong to a wait for an event")
        return self


class ConditionNode(NodeBase):
    """Branch on a segment-language condition about the person now (traits, segments,
    behaviour), or on whether an event happened since they entered the journey."""

    type: Literal["condition"]
    condition: dict[str, Any] | None = None
    event_since_entry: EventMatch | None = None
    yes: NodeId
    no: NodeId

    @model_validator(mode="after")
    def one_kind(self) -> ConditionNode:
        if (self.condition is None) == (self.event_since_entry is None):
            raise ValueError("give exactly one of 'condition' or 'event_since_entry'")
        return self


class Branch(Strict):
    percent: float = Field(gt=0, le=100)
    next: NodeId
    name: str | None = Field(default=None, max_length=100)


class RandomNode(NodeBase):
    """A/B split: each person goes down one branch, by a stable hash of the person."""

    type: Literal["random"]
    branches: list[Branch] = Field(min_length=2, max_length=10)

    @model_validator(mode="after")
    def sums_to_100(self) -> RandomNode:
        total = sum(b.percent for b in self.branches)
        if abs(total - 100) > 1e-6:
            raise ValueError(f"branch percents must add up to 100 (they add up to {total:g})")
        return self


class MessageNode(NodeBase):
    """Send on a channel: inline templates per part (e.g. subject/html/text for email), or an
    ``offer`` (content block) by id or name rendered into the channel's main part."""

    type: Literal["message"]
    channel: str = Field(min_length=1, max_length=40)
    content: dict[str, str] | None = None
    offer: str | None = Field(default=None, max_length=200)
    category: Literal["marketing", "transactional"] = "marketing"
    priority: int = Field(default=0, ge=-100, le=100)
    locale: Literal["vi", "en"] = "vi"
    next: NodeId

    @model_validator(mode="after")
    def has_content(self) -> MessageNode:
        if (self.content is None) == (self.offer is None):
            raise ValueError("give exactly one of 'content' or 'offer'")
        if self.content is not None and any(len(v) > 20_000 for v in self.content.values()):
            raise ValueError("a content template is longer than 20000 characters")
        return self


class WebhookNode(NodeBase):
    """Call a URL with a JSON payload template (signed, retried: the webhook channel)."""

    type: Literal["webhook"]
    url: str = Field(max_length=2000, pattern=r"^https?://[^\s]+$")
    payload: str = Field(
        default='{"profile_id": {{ traits.profile_id | tojson }}}', max_length=20_000
    )
    next: NodeId


class SetTraitNode(NodeBase):
    type: Literal["set_trait"]
    trait: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    value: str | int | float | bool | None
    next: NodeId


class ListNode(NodeBase):
    type: Literal["list"]
    list: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    action: Literal["add", "remove"]
    next: NodeId


class TriggerNode(NodeBase):
    """Put the person into another journey (its own entry rules and re-entry policy apply)."""

    type: Literal["trigger"]
    journey: Name
    next: NodeId


class ExitNode(NodeBase):
    type: Literal["exit"]


Node = Annotated[
    WaitNode
    | ConditionNode
    | RandomNode
    | MessageNode
    | WebhookNode
    | SetTraitNode
    | ListNode
    | TriggerNode
    | ExitNode,
    Field(discriminator="type"),
]


class JourneyDefinition(Strict):
    name: Name
    description: str = Field(default="", max_length=2000)
    entry: Entry
    reentry: Reentry = Field(default_factory=Reentry)
    exit_when: list[EventMatch] = Field(default_factory=list, max_length=20)
    goal: Goal | None = None
    holdout_percent: float = Field(default=0, ge=0, lt=100)
    start: NodeId
    nodes: dict[Annotated[str, Field(pattern=NODE_ID)], Node] = Field(
        min_length=1, max_length=MAX_NODES
    )


def parse_definition(raw: Any) -> JourneyDefinition:
    """The typed definition, or ValidationError naming the path of every broken rule."""
    from pydantic import ValidationError as PydanticValidationError

    if not isinstance(raw, dict):
        issue = FieldIssue("definition", "type", "a journey definition is a JSON object")
        raise ValidationError("definition: a journey definition is a JSON object", issues=[issue])
    if isinstance(raw.get("nodes"), dict) and len(raw["nodes"]) > MAX_NODES:
        message = f"a journey has at most {MAX_NODES} nodes"
        raise ValidationError(
            f"nodes: {message}", issues=[FieldIssue("nodes", "too_many", message)]
        )
    try:
        return JourneyDefinition.model_validate(raw)
    except PydanticValidationError as exc:
        issues = []
        for err in exc.errors(include_url=False):
            loc = _untagged([str(p) for p in err["loc"]])
            where = ".".join(loc) or "definition"
            message = str(err["msg"]).removeprefix("Value error, ")
            issues.append(FieldIssue(where, str(err["type"]), message))
        summary = "; ".join(f"{i.field}: {i.message}" for i in issues[:5])
        raise ValidationError(f"invalid journey: {summary}", issues=issues) from None


_TAGS = frozenset(
    {
        "wait",
        "condition",
        "random",
        "message",
        "webhook",
        "set_trait",
        "list",
        "trigger",
        "exit",
        "event",
        "segment",
        "schedule",
    }
)


def _untagged(loc: list[str]) -> list[str]:
    """Drop the union tag pydantic puts in paths (nodes.x.wait.for → nodes.x.for)."""
    if len(loc) > 1 and loc[0] == "entry" and loc[1] in _TAGS:
        return [loc[0], *loc[2:]]
    if len(loc) > 2 and loc[0] == "nodes" and loc[2] in _TAGS:
        return [*loc[:2], *loc[3:]]
    return loc


def successors(node: Any) -> list[tuple[str, str]]:
    """(field, target id) of every edge leaving ``node``."""
    if isinstance(node, WaitNode):
        out = [("next", node.next)]
        if node.timeout_next is not None:
            out.append(("timeout_next", node.timeout_next))
        return out
    if isinstance(node, ConditionNode):
        return [("yes", node.yes), ("no", node.no)]
    if isinstance(node, RandomNode):
        return [(f"branches[{i}].next", b.next) for i, b in enumerate(node.branches)]
    if isinstance(node, ExitNode):
        return []
    return [("next", node.next)]
