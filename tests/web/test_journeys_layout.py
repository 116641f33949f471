"""The journey canvas's layout (pure): depths, loops, lanes, and the drawing of a definition."""

from __future__ import annotations

import copy
import itertools

from unicx.journeys.definition import parse_definition
from unicx.web.journeys.example import CART_ABANDONMENT
from unicx.web.journeys.graph import ENTRY, HOLDOUT, Figures, draw
from unicx.web.journeys.layout import COLUMN, ROW, Link, Spec, layout

STAGES = ("awareness", "interest", "intent", "purchase", "retention")


def _chain(*ids: str) -> list[Link]:
    return [Link(a, b, "next") for a, b in itertools.pairwise(ids)]


def test_depth_is_the_longest_path_so_joins_come_after_both_sides() -> None:
    specs = [Spec(i, "action") for i in "abcd"]
    links = [*_chain("a", "b", "c", "d"), Link("a", "d", "yes")]
    canvas = layout(specs, links, "a", STAGES)
    depth = {b.id: b.depth for b in canvas.boxes}
    assert depth == {"a": 0, "b": 1, "c": 2, "d": 3}
    xs = [b.cx for b in sorted(canvas.boxes, key=lambda b: b.depth)]
    assert [x2 - x1 for x1, x2 in itertools.pairwise(xs)] == [COLUMN] * 3
    assert canvas.width >= xs[-1] + COLUMN // 2


def test_a_loop_is_drawn_backwards_below_and_does_not_hang() -> None:
    specs = [Spec("a", "entry"), Spec("w", "wait"), Spec("s", "split"), Spec("x", "exit")]
    links = [*_chain("a", "w", "s"), Link("s", "w", "no"), Link("s", "x", "yes")]
    canvas = layout(specs, links, "a", STAGES)
    back = {(p.source, p.target): p.back for p in canvas.paths}
    assert back == {("a", "w"): False, ("w", "s"): False, ("s", "w"): True, ("s", "x"): False}
    loop = next(p for p in canvas.paths if p.back)
    boxes = {b.id: b for b in canvas.boxes}
    assert loop.label_y > boxes["s"].cy  # under the nodes it joins


def test_siblings_stack_in_one_column_and_lanes_follow_stages() -> None:
    specs = [Spec("a", "entry", "interest"), Spec("s", "split"), Spec("y", "action", "purchase"),
             Spec("n", "action"), Spec("x", "exit")]  # fmt: skip
    links = [Link("a", "s", "next"), Link("s", "y", "yes"), Link("s", "n", "no"),
             *_chain("y", "x"), Link("n", "x", "next")]  # fmt: skip
    canvas = layout(specs, links, "a", STAGES)
    assert [lane.name for lane in canvas.lanes] == ["interest", "purchase"]
    boxes = {b.id: b for b in canvas.boxes}
    # Unstaged nodes take the stage of the node they are first reached from.
    assert boxes["s"].lane == boxes["n"].lane == "interest" and boxes["y"].lane == "purchase"
    assert boxes["y"].depth == boxes["n"].depth and boxes["y"].cy != boxes["n"].cy
    purchase = canvas.lanes[1]
    assert purchase.y <= boxes["y"].cy - boxes["y"].half_h < purchase.y + purchase.height
    assert canvas.height >= purchase.y + purchase.height


def test_no_stage_anywhere_means_no_lanes() -> None:
    canvas = layout([Spec("a", "entry"), Spec("b", "exit")], _chain("a", "b"), "a", STAGES)
    assert canvas.lanes == [] and canvas.height >= ROW
    assert all(p.d.startswith("M") and " C" in p.d for p in canvas.paths)


def test_the_cart_example_draws_every_node_edge_and_its_figures() -> None:
    defn = parse_definition(copy.deepcopy(CART_ABANDONMENT))
    figures = Figures(
        entered=100, holdout=10,
        outcomes={"wait_1h": {"waiting": 90, "waited": 80}, "bought": {"yes": 20, "no": 60},
                  "email": {"queued": 60}},
        here={"wait_1h": 10},
        converted={"bought": {"yes": (20, 20), "no": (60, 6)}},
    )  # fmt: skip
    drawing = draw(defn, figures)
    ids = [n.box.id for n in drawing.nodes]
    assert ids[0] == ENTRY and HOLDOUT in ids and set(ids) - {ENTRY, HOLDOUT} == set(defn.nodes)
    assert len(drawing.edges) == 2 + 1 + 2 + 1 + 2  # entry, wait, split, e-mail, wait for open
    by_node = {n.box.id: n for n in drawing.nodes}
    assert (by_node["wait_1h"].entered, by_node["wait_1h"].waiting) == (90, 10)
    assert by_node["wait_1h"].done == 80 and by_node["wait_1h"].glyph == "1h"
    edges = {(e.path.source, e.label): e for e in drawing.edges}
    assert edges[(ENTRY, "next")].people == 90 and edges[(ENTRY, "holdout")].people == 10
    assert edges[("bought", "no")].people == 60 and edges[("bought", "no")].converted == (60, 6)
    assert edges[("email", "next")].converted is None  # one way out: no branch conversion
    assert {lane.name for lane in drawing.canvas.lanes} == {"interest", "intent"}
