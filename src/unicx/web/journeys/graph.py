"""A journey definition as a drawing: the nodes and edges to lay out (an entry pill first, a
holdout exit when there is one), what each shape says, and which step outcomes each edge
counts. Pure: the figures come in, the drawing goes out (the template only prints it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from unicx.journeys import definition as jd
from unicx.web.journeys.layout import Box, Canvas, Link, Path, Spec, layout

ENTRY = "__entry"
HOLDOUT = "__holdout"
LANE_STAGES = jd.STAGES
# Step outcomes that take each edge out of a node (engine: StepRow.outcome); an action's
# single edge counts every outcome but "waiting" (queued, set, add, remove, triggered).
WAIT_NEXT = ("waited", "event")


@dataclass(frozen=True)
class Figures:
    """What happened (or would happen) at each node: people per step outcome, people there
    now, goal conversion per (node, outcome), and the totals the entry shows."""

    entered: int = 0
    holdout: int = 0
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    here: dict[str, int] = field(default_factory=dict)
    converted: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeView:
    box: Box
    type: str  # the definition's node type, or entry / holdout
    title: str
    glyph: str  # the few characters inside the shape
    entered: int
    waiting: int
    done: int


@dataclass(frozen=True)
class EdgeView:
    path: Path
    label: str  # yes, no, timeout, holdout, next, or a branch's own name
    people: int
    converted: tuple[int, int] | None  # (people, converted) of the goal, on branching edges


@dataclass(frozen=True)
class Drawing:
    canvas: Canvas
    nodes: list[NodeView]
    edges: list[EdgeView]


def kind_of(node: object) -> str:
    if isinstance(node, jd.WaitNode):
        return "wait"
    if isinstance(node, jd.ConditionNode | jd.RandomNode):
        return "split"
    return "exit" if isinstance(node, jd.ExitNode) else "action"


def glyph(node: object) -> str:
    """A short word for inside the shape: how long a wait is, the channel, the split's kind."""
    if isinstance(node, jd.WaitNode):
        if node.for_ is not None:
            return node.for_.text
        return node.until.at.strftime("%H:%M") if node.until is not None else "⚡"
    if isinstance(node, jd.ConditionNode):
        return "?"
    if isinstance(node, jd.RandomNode):
        return "A/B"
    if isinstance(node, jd.MessageNode):
        return node.channel
    if isinstance(node, jd.ExitNode):
        return ""
    words: dict[type, str] = {jd.WebhookNode: "webhook", jd.SetTraitNode: "trait"}
    words[jd.ListNode] = "list"
    return words.get(type(node), "→")


def entry_text(entry: object) -> str:
    if isinstance(entry, jd.EventEntry):
        return entry.event
    assert isinstance(entry, jd.SegmentEntry | jd.ScheduleEntry)
    return entry.segment


def graph(defn: jd.JourneyDefinition) -> tuple[list[Spec], list[Link]]:
    start_stage = getattr(defn.nodes[defn.start], "stage", None)
    specs = [Spec(ENTRY, "entry", start_stage)]
    links = [Link(ENTRY, defn.start, "next")]
    if defn.holdout_percent > 0:
        specs.append(Spec(HOLDOUT, "exit", start_stage))
        links.append(Link(ENTRY, HOLDOUT, "holdout"))
    for node_id, node in defn.nodes.items():
        specs.append(Spec(node_id, kind_of(node), node.stage))
        links += [Link(node_id, target, _key(field_)) for field_, target in jd.successors(node)]
    return specs, links


def _key(field_: str) -> str:
    """branches[1].next → branch:1; timeout_next → timeout; yes, no and next as they are."""
    if field_.startswith("branches["):
        return "branch:" + field_[len("branches[") : field_.index("]")]
    return "timeout" if field_ == "timeout_next" else field_


def edge_outcomes(node: object, key: str) -> tuple[str, ...] | None:
    """The outcomes counted on the edge ``key`` leaving ``node`` (None: every outcome but
    waiting)."""
    if isinstance(node, jd.WaitNode):
        return ("timeout",) if key == "timeout" else WAIT_NEXT
    if isinstance(node, jd.RandomNode) and key.startswith("branch:"):
        return (branch_name(node, int(key.split(":")[1])),)
    return (key,) if key in ("yes", "no") else None


def branch_name(node: jd.RandomNode, index: int) -> str:
    return node.branches[index].name or f"branch {index + 1}"


def draw(defn: jd.JourneyDefinition, figures: Figures) -> Drawing:
    """The laid-out canvas with each node's counts and each edge's people (and conversion)."""
    specs, links = graph(defn)
    canvas = layout(specs, links, ENTRY, LANE_STAGES)
    nodes = [_node_view(defn, box, figures) for box in canvas.boxes]
    edges = [_edge_view(defn, path, figures) for path in canvas.paths]
    return Drawing(canvas, nodes, edges)


def _node_view(defn: jd.JourneyDefinition, box: Box, figures: Figures) -> NodeView:
    if box.id == ENTRY:
        entered = figures.entered
        return NodeView(box, "entry", entry_text(defn.entry), "▶", entered, 0, entered)
    if box.id == HOLDOUT:
        held = figures.holdout
        return NodeView(box, "holdout", f"{defn.holdout_percent:g} %", "", held, 0, held)
    node = defn.nodes[box.id]
    outcomes = figures.outcomes.get(box.id, {})
    passed = sum(n for outcome, n in outcomes.items() if outcome != "waiting")
    # A wait records "waiting" on arrival; other nodes record their one outcome on the way out.
    entered = outcomes.get("waiting", 0) if isinstance(node, jd.WaitNode) else passed
    title = node.name or box.id
    return NodeView(
        box, node.type, title, glyph(node), entered, figures.here.get(box.id, 0), passed
    )


def _edge_view(defn: jd.JourneyDefinition, path: Path, figures: Figures) -> EdgeView:
    if path.source == ENTRY:
        held = figures.holdout if path.key == "holdout" else 0
        people = held if path.key == "holdout" else figures.entered - figures.holdout
        return EdgeView(path, path.key, people, None)
    node = defn.nodes[path.source]
    counted = edge_outcomes(node, path.key)
    outcomes = figures.outcomes.get(path.source, {})
    if counted is None:
        people = sum(n for outcome, n in outcomes.items() if outcome != "waiting")
    else:
        people = sum(outcomes.get(outcome, 0) for outcome in counted)
    label = counted[0] if isinstance(node, jd.RandomNode) and counted else path.key
    branching = len(jd.successors(node)) > 1
    return EdgeView(
        path, label, people, _conversion(figures, path.source, counted) if branching else None
    )


def _conversion(
    figures: Figures, node_id: str, counted: tuple[str, ...] | None
) -> tuple[int, int] | None:
    by_outcome = figures.converted.get(node_id)
    if by_outcome is None or counted is None:
        return None
    pairs = [by_outcome[o] for o in counted if o in by_outcome]
    return (sum(p for p, _ in pairs), sum(c for _, c in pairs)) if pairs else None
