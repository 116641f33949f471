"""A layered layout of a journey graph for the canvas (pure: no I/O, no templates).

Columns are depths from the entry along the edges (longest path, so a node comes after every
node that leads to it and the flow reads left to right); rows are lifecycle-stage lanes
(horizontal bands) when the journey names stages, and nodes sharing a column within a lane
stack inside it. Edges going back (a loop through a wait) dip below the nodes they join.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

COLUMN = 184  # horizontal distance between depths
ROW = 124  # height of one node slot: the shape and its two lines of text below
LANE_GUTTER = 100  # the lane labels on the left
PAD = 28
CENTRE = 60  # every shape's centre, from its slot's top (so edges between a row run level)
# Half width and half height of each kind's shape (the edges meet the shape's sides).
HALF: dict[str, tuple[int, int]] = {
    "entry": (62, 20),
    "action": (62, 22),
    "wait": (24, 24),
    "split": (34, 26),
    "exit": (20, 20),
}


@dataclass(frozen=True)
class Spec:
    """A node to draw: its id, its kind (a key of :data:`HALF`) and its own stage, if any."""

    id: str
    kind: str
    stage: str | None = None


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    key: str  # which of the source's exits: next, yes, no, timeout, branch:0, holdout…


@dataclass(frozen=True)
class Box:
    id: str
    kind: str
    cx: int
    cy: int
    half_w: int
    half_h: int
    depth: int
    lane: str | None


@dataclass(frozen=True)
class Path:
    source: str
    target: str
    key: str
    d: str
    label_x: int
    label_y: int
    back: bool


@dataclass(frozen=True)
class Lane:
    name: str
    y: int
    height: int


@dataclass(frozen=True)
class Canvas:
    width: int
    height: int
    boxes: list[Box]
    paths: list[Path]
    lanes: list[Lane]


def layout(specs: list[Spec], links: list[Link], start: str, stages: tuple[str, ...]) -> Canvas:
    """Place ``specs`` (the entry ``start`` first) and route ``links`` between them; ``stages``
    orders the lanes."""
    order = discovery_order(specs, links, start)
    depth = depths(order, links, start)
    lane = lanes_of(specs, links, order, stages)
    names = [s for s in stages if s in lane.values()]
    if any(v is None for v in lane.values()) and names:
        names.insert(0, "")  # nodes before the first stage: an unnamed band on top
    boxes, bands = _place(specs, order, depth, lane, names)
    by_id = {b.id: b for b in boxes}
    paths = [route(by_id[k.source], by_id[k.target], k.key) for k in links]
    gutter = LANE_GUTTER if names else 0
    width = gutter + PAD * 2 + COLUMN * (max(depth.values(), default=0) + 1)
    height = max((b.y + b.height for b in bands), default=ROW) + PAD
    return Canvas(width, height, boxes, paths, bands)


def discovery_order(specs: list[Spec], links: list[Link], start: str) -> list[str]:
    """Breadth-first from ``start``, then any node it cannot reach, in the given order."""
    out_of = _outgoing(links)
    seen, queue = {start}, deque([start])
    order: list[str] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in out_of.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order + [s.id for s in specs if s.id not in seen]


def depths(order: list[str], links: list[Link], start: str) -> dict[str, int]:
    """Longest-path depth over the edges that do not close a loop."""
    forward = [k for k in links if (k.source, k.target) not in back_edges(order, links, start)]
    depth = {n: 0 for n in order}
    incoming = {n: 0 for n in order}
    for k in forward:
        incoming[k.target] += 1
    ready = deque(n for n in order if incoming[n] == 0)
    while ready:
        node = ready.popleft()
        for k in (k for k in forward if k.source == node):
            depth[k.target] = max(depth[k.target], depth[node] + 1)
            incoming[k.target] -= 1
            if incoming[k.target] == 0:
                ready.append(k.target)
    return depth


def back_edges(order: list[str], links: list[Link], start: str) -> set[tuple[str, str]]:
    """Edges into a node still on the depth-first path (they close a loop)."""
    out_of = _outgoing(links)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in [start, *order]:
        if root in state:
            continue
        stack = [(root, iter(out_of.get(root, [])))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out_of.get(child, []))))
    return back


def lanes_of(
    specs: list[Spec], links: list[Link], order: list[str], stages: tuple[str, ...]
) -> dict[str, str | None]:
    """Each node's lane: its own stage, else the stage of the node it is first reached from
    (a wait after an intent e-mail is still intent). Unknown stages count as none."""
    own = {s.id: s.stage if s.stage in stages else None for s in specs}
    parent: dict[str, str] = {}
    for k in links:
        parent.setdefault(k.target, k.source)
    lane: dict[str, str | None] = {}
    for node in order:
        lane[node] = own.get(node) or lane.get(parent.get(node, ""))
    return lane


def _place(
    specs: list[Spec],
    order: list[str],
    depth: dict[str, int],
    lane: dict[str, str | None],
    names: list[str],
) -> tuple[list[Box], list[Lane]]:
    kind = {s.id: s.kind for s in specs}
    slot: dict[str, int] = {}
    used: dict[tuple[str, int], int] = {}
    for node in order:
        cell = (lane[node] or "", depth[node])
        slot[node] = used.get(cell, 0)
        used[cell] = slot[node] + 1
    bands, top = [], 0
    for name in names or [""]:
        rows = max((n for (ln, _), n in used.items() if ln == name), default=1)
        bands.append(Lane(name, top, rows * ROW))
        top += rows * ROW
    band_y = {b.name: b.y for b in bands}
    left = (LANE_GUTTER if names else 0) + PAD + COLUMN // 2
    boxes = [
        Box(
            node,
            kind[node],
            left + depth[node] * COLUMN,
            band_y[lane[node] or ""] + slot[node] * ROW + CENTRE,
            *HALF[kind[node]],
            depth[node],
            lane[node],
        )
        for node in order
    ]
    return boxes, bands if names else []


def route(a: Box, b: Box, key: str) -> Path:
    """A curve from ``a``'s right side to ``b``'s left side, or, for an edge that goes back
    (or down the same column), one that leaves and enters from below."""
    if b.depth > a.depth:
        x1, y1, x2, y2 = a.cx + a.half_w, a.cy, b.cx - b.half_w - 6, b.cy
        bend = max(30, (x2 - x1) // 2)
        c1, c2 = (x1 + bend, y1), (x2 - bend, y2)
        back = False
    else:
        x1, y1, x2, y2 = a.cx, a.cy + a.half_h, b.cx, b.cy + b.half_h + 6
        low = max(y1, y2) + ROW // 2
        c1, c2 = (x1, low), (x2, low)
        back = True
    d = f"M{x1},{y1} C{c1[0]},{c1[1]} {c2[0]},{c2[1]} {x2},{y2}"
    # The label sits on the curve: at its middle when it runs level or loops back; three
    # quarters along when it climbs or drops, clear of the text under the node it leaves.
    weights = (1, 3, 3, 1) if back or y1 == y2 else (1, 9, 27, 27)
    mx, my = (
        sum(w * p for w, p in zip(weights, axis, strict=True)) // sum(weights)
        for axis in ((x1, c1[0], c2[0], x2), (y1, c1[1], c2[1], y2))
    )
    return Path(a.id, b.id, key, d, mx, my - 6, back)


def _outgoing(links: list[Link]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k in links:
        out.setdefault(k.source, []).append(k.target)
    return out
