"""SQL terms the segment compiler assembles: the clock, JSON paths and typed values, window
edges, the trait-type check, and the early-adopter step (the one step longer than a line).

Everything here is text built from constants and ``$`` parameter names, never from user values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unicx.segments import conditions as sc
from unicx.segments.vocabulary import Trait

NOW = "CAST($now AS TIMESTAMPTZ)"
PREV = "CAST($prev AS TIMESTAMPTZ)"


def early_adopters_sql(items: str, single: str, launched: str, bought: str) -> str:
    """Buyers of an item (``items``/``single``: JSON paths of its key) first seen within
    ``launched`` before now, no later than ``bought`` after that first sighting."""
    # Launch = the item's first appearance in any view, add or order of the workspace.
    return f"""SELECT DISTINCT o.profile_id FROM (
    SELECT e.profile_id, e.timestamp, unnest(list_append(
      json_extract_string(e.properties, {items}), json_extract_string(e.properties, {single})
    )) AS item
    FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND e.event = 'Order Completed'
  ) o JOIN (
    SELECT item, min(timestamp) AS launched FROM (
      SELECT timestamp, unnest(list_append(
        json_extract_string(properties, {items}), json_extract_string(properties, {single})
      )) AS item
      FROM events WHERE event IN ('Product Viewed', 'Product Added', 'Order Completed')
    ) WHERE item IS NOT NULL GROUP BY item
    HAVING min(timestamp) >= {NOW} - to_seconds({launched})
  ) l USING (item)
  WHERE o.timestamp <= l.launched + to_seconds({bought})"""


def edge_passed(column: str, w: str, *, flips_after: bool) -> str:
    """SQL: the moment ``column + w`` at which a condition changes falls in this scheduler tick,
    which covers the changes after ``$prev`` up to ``$now`` (the state at ``$prev`` is known).

    ``flips_after``: the condition still reads the same at ``column + w`` and changes just after
    it (``column >= now - w``: a "within" window, within_last; ``column < now - w``), so the
    moment counts when ``column + w`` is in [prev, now). Otherwise (``column <= now - w``: the
    not_followed_by delay) it changes at ``column + w`` itself, in (prev, now]. Half-open
    intervals so consecutive ticks neither miss an edge lying exactly on a tick nor take it twice.
    """
    if flips_after:
        return f"{column} >= {PREV} - to_seconds({w}) AND {column} < {NOW} - to_seconds({w})"
    return f"{column} > {PREV} - to_seconds({w}) AND {column} <= {NOW} - to_seconds({w})"


def scoped(table: str) -> str:
    return f"__T_{table}__"


_OPS_BY_TYPE: dict[str, set[str]] = {
    "number": {*sc.COMPARE_OPS, "in", "not_in", "between", "top_percent", *sc.PRESENCE_OPS},
    "string": {*sc.VALUE_OPS, *sc.PRESENCE_OPS},
    "time": {*sc.TIME_OPS, *sc.PRESENCE_OPS},
    "bool": {"eq", "neq", *sc.PRESENCE_OPS},
    "any": {*sc.VALUE_OPS, *sc.PRESENCE_OPS},
}


def check_trait_op(trait: Trait, node: sc.TraitCond) -> None:
    """Operator and value fit the trait's type (``revenue contains 'x'`` is refused)."""
    if node.op not in _OPS_BY_TYPE[trait.type]:
        ops = ", ".join(sorted(_OPS_BY_TYPE[trait.type]))
        raise sc.issue(
            f"{node.path}.op", "type_mismatch", f"{trait.name} is a {trait.type} trait: use {ops}"
        )
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    if node.op in sc.PRESENCE_OPS or node.op in sc.TIME_OPS or node.op == "top_percent":
        return
    checks: dict[str, Callable[[Any], bool]] = {
        "number": is_number,
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
    }
    wanted = checks.get(trait.type)
    if wanted is not None and not all(wanted(v) for v in values):
        raise sc.issue(
            f"{node.path}.value", "type_mismatch", f"{trait.name} is a {trait.type} trait"
        )


def json_path(keys: list[str], items: bool) -> str:
    quoted = ".".join(f'"{k}"' for k in keys)
    return f"$.products[*].{quoted}" if items else f"$.{quoted}"


def json_value(kind: str) -> str:
    casts = {"number": "DOUBLE", "time": "TIMESTAMPTZ", "bool": "BOOLEAN"}
    if kind in casts:
        return f"TRY_CAST(value->>'$' AS {casts[kind]})"
    return "(value->>'$')"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
