"""Names of a compiled segment's CTE steps, after what each step holds.

``did_order_completed_in_30d_count_gte_2``, ``country_in_vn``, ``in_segment_vip``: a reviewer
reads the SQL without the definition at hand. User text (event, trait and segment names,
values) enters a name only as lower-case ``[a-z0-9]`` words joined by ``_`` and cut short, so a
name is always a plain identifier and never SQL; the values themselves stay bound parameters.
A step that holds the complement of its condition (``count lt 1`` selects the people who broke
it) is named ``not_…``. Names follow the tree in order (deterministic) and a repeat gets ``_2``,
``_3``, … (unique).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from unicx.segments import conditions as sc

MAX_NAME = 60
# Relations the compiled SQL reads: a step never shadows one of them.
_RELATIONS = frozenset(
    {"profiles", "events", "event_profiles", "segment_members", "consents", "identities"}
    | {"computed_traits", "model_traits", "profile_traits"}
)
_WORD = re.compile(r"[a-z0-9]+")
_OP_WORDS = {"eq": "is", "neq": "is_not"}
_DEFAULT_COUNT = sc.Compare("gte", 1)


class StepNames:
    """Hands out one unique name per step of one query."""

    def __init__(self) -> None:
        self.taken: set[str] = set(_RELATIONS)

    def unique(self, node: sc.Node) -> str:
        base = _clip(step_name(node))
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def step_name(node: sc.Node) -> str:
    """What the step compiled from ``node`` holds, in words (not yet unique nor clipped)."""
    if isinstance(node, sc.EventCond):
        return _event(node)
    if isinstance(node, sc.TraitCond):
        if node.op == "not_exists":
            return f"{slug(node.trait)}_exists"
        return f"{slug(node.trait)}_{_test(node.op, node.value)}"
    if isinstance(node, sc.ContextCond):
        if node.op == "not_exists":
            return f"{node.field}_known{_window(node.window)}"
        return f"{node.field}_{_test(node.op, node.value)}{_window(node.window)}"
    if isinstance(node, sc.SegmentRef):
        return f"in_segment_{slug(node.ref)}"
    if isinstance(node, sc.ConsentCond):
        state = "recorded" if node.state == "unknown" else node.state
        return f"consent_{slug(node.purpose)}_{state}"
    if isinstance(node, sc.HasCond):
        return f"has_{slug(node.identifier)}"
    if isinstance(node, sc.EarlyAdopter):
        return f"early_adopter_{node.level}"
    raise AssertionError(type(node))  # groups are boolean tests, not steps


def _event(node: sc.EventCond) -> str:
    name = f"did_{slug(node.event)}{_window(node.window)}"
    for cond in node.where:
        name += f"_{slug(cond.prop)}_{_test(cond.op, cond.value)}"
    if node.sum_of is not None:
        name += f"_sum_{slug(node.sum_of)}_{_bound(node.count)}"
    elif node.count != _DEFAULT_COUNT:
        name += f"_count_{_bound(node.count)}"
    if node.not_followed_by is not None:
        name += f"_not_followed_by_{slug(node.not_followed_by.event)}"
    return f"not_{name}" if node.count.holds_for_zero() else name


def _window(window: sc.Window | None) -> str:
    if window is None:
        return ""
    if window.last_s is not None:
        return f"_in_{duration(window.last_s)}"
    return "_in_range"


def _bound(cmp: sc.Compare) -> str:
    if isinstance(cmp.value, tuple):
        return f"between_{slug(cmp.value[0])}_and_{slug(cmp.value[1])}"
    return f"{cmp.op}_{slug(cmp.value)}"


def _test(op: str, value: Any) -> str:
    """``is_vn``, ``in_vn_th``, ``within_last_7d``, ``exists``: the operator and its value."""
    word = _OP_WORDS.get(op, op)
    if value is None:
        return word
    if op in ("within_last", "before_last"):
        return f"{word}_{duration(int(value))}"
    if op == "between":
        return f"between_{slug(value[0])}_and_{slug(value[1])}"
    values = value if isinstance(value, tuple) else (value,)
    shown = "_".join(slug(v, limit=12) for v in values[:3])
    return f"{word}_{shown}" + ("_etc" if len(values) > 3 else "")


def duration(seconds: int) -> str:
    """``30d``, ``12h``, ``90m``: the largest whole unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def slug(value: Any, *, limit: int = 24) -> str:
    """Lower-case ``[a-z0-9]`` words of ``value`` joined by ``_`` (``x`` when none)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime):
        text = value.date().isoformat()
    else:
        text = str(value)
    return "_".join(_WORD.findall(text.lower()))[:limit].strip("_") or "x"


def _clip(name: str) -> str:
    # A trait named "30d_revenue" would start the identifier with a digit.
    name = name if name[0].isalpha() else f"step_{name}"
    return name[:MAX_NAME].rstrip("_")
