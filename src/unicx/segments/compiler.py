"""A parsed segment definition -> one SQL query (DuckDB dialect) with bound parameters.

Each leaf becomes a named CTE step producing the profile ids it holds; the boolean tree becomes
``profile_id IN (SELECT profile_id FROM cN)`` tests over ``profiles``. Every value the user wrote
is a bound parameter: names, property paths and values never reach the SQL text, so no
definition can inject SQL. Relation names are tokens the evaluator swaps for the whole
workspace or for a scope of touched profiles:

- ``__EVENTS__``: rows of ``event_profiles`` (or the scope's copy of them);
- ``__SCOPE__``: empty, or ``AND profile_id IN (<targets>)`` to narrow profile-keyed tables;
- ``__T_<table>__``: a profile-keyed table (traits, consents, identities), or the scope's copy
  of its rows for the targets, made once per pass instead of one scan per segment.

A condition that holds for people with no matching event (``count`` lt 1, a sum below a bound)
is compiled as the complement of the people whose events break it, so it also holds for people
who never did the event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from unicx.segments import conditions as sc
from unicx.segments.vocabulary import SPECIAL_EVENTS, Trait

NOW = "CAST($now AS TIMESTAMPTZ)"
PREV = "CAST($prev AS TIMESTAMPTZ)"


class Resolver(Protocol):
    def trait(self, path: str, name: str) -> Trait: ...
    def segment(self, path: str, ref: str) -> str: ...
    def event(self, path: str, name: str) -> None: ...
    def property(self, path: str, event: str, prop: str) -> None: ...


@dataclass(frozen=True)
class Edge:
    """Profiles whose membership may change between ``$prev`` and ``$now`` without an event:
    the SQL selects them (params: the leaf's plus ``prev`` and ``now``)."""

    sql: str
    params: dict[str, Any]


@dataclass
class Compiled:
    sql: str
    params: dict[str, Any]
    edges: list[Edge] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    traits: set[str] = field(default_factory=set)  # trait names read (scope copies only these)
    # Depends on other profiles (rank thresholds, launch dates): incremental evaluation is
    # exact for the profiles evaluated, the rest catch up at the next full pass.
    global_: bool = False

    def render(self, *, events: str, scope: str, tables: dict[str, str] | None = None) -> str:
        tables = tables or {}
        sql = _TABLE_TOKEN.sub(lambda m: tables.get(m.group(1), m.group(1)), self.sql)
        return sql.replace("__EVENTS__", events).replace("__SCOPE__", scope)


def compile_segment(node: sc.Node, resolver: Resolver) -> Compiled:
    builder = _Builder(resolver)
    where = builder.node(node)
    steps = ",\n".join(f"c{i} AS (\n  {sql}\n)" for i, sql in enumerate(builder.steps))
    sql = f"WITH {steps}\nSELECT profile_id FROM profiles WHERE ({where}) __SCOPE__"
    return Compiled(
        sql, builder.params, builder.edges, builder.refs, builder.traits, builder.global_
    )


class _Builder:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.steps: list[str] = []
        self.params: dict[str, Any] = {"now": None}
        self.edges: list[Edge] = []
        self.refs: set[str] = set()
        self.traits: set[str] = set()
        self.global_ = False

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = list(value) if isinstance(value, tuple) else value
        return f"${name}"

    def step(self, sql: str, *, complement: bool = False) -> str:
        self.steps.append(sql)
        test = f"profile_id IN (SELECT profile_id FROM c{len(self.steps) - 1})"
        return f"NOT ({test})" if complement else test

    def node(self, node: sc.Node) -> str:
        if isinstance(node, sc.Group):
            parts = [self.node(c) for c in node.children]
            if node.kind == "not":
                return f"NOT ({parts[0]})"
            joiner = " AND " if node.kind == "all" else " OR "
            return "(" + joiner.join(parts) + ")"
        method: Callable[[sc.Node], str] = getattr(self, f"leaf_{type(node).__name__}")
        return method(node)

    # -- events ------------------------------------------------------------------------------

    def match(self, event: str, where: tuple[sc.PropertyCond, ...], alias: str, path: str) -> str:
        self.resolver.event(path, event)
        if event in SPECIAL_EVENTS:
            parts = [f"{alias}.type = {self.bind(SPECIAL_EVENTS[event])}"]
        else:
            parts = [f"{alias}.event = {self.bind(event)}"]
        for cond in where:
            self.resolver.property(cond.path, event, cond.prop)
            parts.append(self.property(cond, alias))
        return " AND ".join(parts)

    def property(self, cond: sc.PropertyCond, alias: str) -> str:
        if cond.prop.startswith("products[]."):
            keys = cond.prop.removeprefix("products[].").split(".")
            items = f"json_extract_string({alias}.properties, {self.bind(_json_path(keys, True))})"
            if cond.op == "exists":
                return f"len(list_filter({items}, x -> x IS NOT NULL)) > 0"
            values = cond.value if cond.op == "in" else (cond.value,)
            return f"list_has_any({items}, {self.bind([str(_text(v)) for v in values])})"
        path = self.bind(_json_path(cond.prop.split("."), False))
        expr = f"json_extract_string({alias}.properties, {path})"
        return self.compare(expr, cond.op, cond.value, loose=True)

    def compare(self, expr: str, op: str, value: Any, *, loose: bool) -> str:
        """``expr op value``; ``loose``: expr is text (JSON), cast it to the value's type."""
        if op == "exists":
            return f"{expr} IS NOT NULL"
        if op == "not_exists":
            return f"{expr} IS NULL"
        sample = value[0] if isinstance(value, tuple) else value
        if loose and isinstance(sample, bool):
            expr, value = f"lower({expr})", _text(value)
        elif (
            loose and _number(sample) and (not isinstance(value, tuple) or all(map(_number, value)))
        ):
            expr = f"TRY_CAST({expr} AS DOUBLE)"
        elif loose:
            value = tuple(map(_text, value)) if isinstance(value, tuple) else _text(value)
        sql_ops = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        if op in sql_ops:
            return f"{expr} {sql_ops[op]} {self.bind(value)}"
        if op == "in":
            return f"list_contains({self.bind(value)}, {expr})"
        if op == "not_in":
            return f"NOT list_contains({self.bind(value)}, {expr})"
        if op == "between":
            return f"{expr} BETWEEN {self.bind(value[0])} AND {self.bind(value[1])}"
        if op == "contains":
            return f"contains(lower(CAST({expr} AS VARCHAR)), {self.bind(str(value).lower())})"
        if op == "starts_with":
            return f"starts_with(CAST({expr} AS VARCHAR), {self.bind(value)})"
        raise AssertionError(op)  # parse() admits no other operator

    def window(self, window: sc.Window | None, column: str) -> str:
        if window is None:
            return ""
        if window.last_s is not None:
            return f" AND {column} >= {NOW} - to_seconds({self.bind(window.last_s)})"
        out = ""
        if window.start is not None:
            out += f" AND {column} >= {self.bind(window.start)}"
        if window.end is not None:
            out += f" AND {column} < {self.bind(window.end)}"
        return out

    def leaf_EventCond(self, node: sc.EventCond) -> str:
        match = self.match(node.event, node.where, "e", f"{node.path}.event")
        where = match + self.window(node.window, "e.timestamp")
        if node.window is not None and node.window.last_s is not None:
            self.edge_events(match, node.window.last_s, flips_after=True)
        if node.not_followed_by is not None:
            where += self.follow_up(node.not_followed_by, match)
        if node.sum_of is not None:
            self.resolver.property(f"{node.path}.sum.property", node.event, node.sum_of)
            path = self.bind(_json_path(node.sum_of.split("."), False))
            agg = f"coalesce(sum(TRY_CAST(json_extract_string(e.properties, {path}) AS DOUBLE)), 0)"
        else:
            agg = "count(*)"
        bound = self.bound(agg, node.count)
        zero = node.count.holds_for_zero()
        having = f"NOT ({bound})" if zero else bound
        sql = (
            f"SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL AND {where}\n"
            f"  GROUP BY e.profile_id HAVING {having}"
        )
        return self.step(sql, complement=zero)

    def bound(self, agg: str, cmp: sc.Compare) -> str:
        if isinstance(cmp.value, tuple):
            return f"{agg} BETWEEN {self.bind(cmp.value[0])} AND {self.bind(cmp.value[1])}"
        sql_ops = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        return f"{agg} {sql_ops[cmp.op]} {self.bind(cmp.value)}"

    def follow_up(self, follow: sc.FollowUp, base_match: str) -> str:
        within = self.bind(follow.within_s)
        match = self.match(follow.event, follow.where, "f", f"{follow.path}.event")
        # Counted once the follow-up window has passed without the follow-up event, so a
        # cart added a minute ago is not "abandoned" yet; the scheduler catches the moment.
        self.edge_events(base_match, follow.within_s, flips_after=False)
        return (
            f" AND e.timestamp <= {NOW} - to_seconds({within})"
            f" AND NOT EXISTS (SELECT 1 FROM __EVENTS__ f WHERE f.profile_id = e.profile_id"
            f" AND {match} AND f.timestamp >= e.timestamp"
            f" AND f.timestamp <= e.timestamp + to_seconds({within}))"
        )

    def edge_events(self, match: str, seconds: int, *, flips_after: bool) -> None:
        w = self.bind(seconds)
        sql = (
            "SELECT DISTINCT e.profile_id FROM event_profiles e WHERE e.profile_id IS NOT NULL"
            f" AND {match} AND {_edge_passed('e.timestamp', w, flips_after=flips_after)}"
        )
        self.edges.append(Edge(sql, used_params(sql, self.params)))

    # -- traits and context ------------------------------------------------------------------

    def leaf_TraitCond(self, node: sc.TraitCond) -> str:
        # Every trait is read from its table by name, built-in ones too: the typed pivot view
        # (profile_computed) reads every trait of every profile, which an ingest pass over a
        # few thousand profiles cannot afford.
        trait = self.resolver.trait(f"{node.path}.trait", node.trait)
        check_trait_op(trait, node)
        self.traits.add(trait.name)
        builtin = trait.source == "builtin"
        name_test = f"name = {self.bind(trait.name)}"
        typed = _json_value(trait.type)
        if node.op == "top_percent":
            self.global_ = True
            share = self.bind(1 - float(node.value) / 100)
            source = f"FROM {trait.table} WHERE {name_test}"
            cut = f"(SELECT quantile_cont({typed}, {share}) {source})"
            # Above the lowest value too: when most people share the bottom value (revenue 0
            # for non-buyers) the quantile is that value, and they are not "top" customers.
            test = f"{typed} >= {cut} AND {typed} > (SELECT min({typed}) {source})"
        elif node.op in sc.TIME_OPS:
            test = self.time_test(typed, node.op, node.value)
            if node.op in ("within_last", "before_last"):
                self.edge_trait(trait, typed, name_test, node.value)
        elif builtin:
            test = self.compare(typed, node.op, node.value, loose=False)
        else:
            # Stored JSON traits compare as text cast to the value's type: never a cast error.
            test = self.compare("(value->>'$')", node.op, node.value, loose=True)
        if node.op == "not_exists":
            table = _t(trait.table)
            exists = f"SELECT profile_id FROM {table} WHERE {name_test} AND {typed} IS NOT NULL"
            return self.step(f"{exists} __SCOPE__", complement=True)
        return self.step(
            f"SELECT profile_id FROM {_t(trait.table)} WHERE {name_test} AND {test} __SCOPE__"
        )

    def time_test(self, column: str, op: str, value: Any) -> str:
        if op == "within_last":
            return f"{column} >= {NOW} - to_seconds({self.bind(value)})"
        if op == "before_last":
            return f"{column} < {NOW} - to_seconds({self.bind(value)})"
        return f"{column} {'>=' if op == 'after' else '<'} {self.bind(value)}"

    def edge_trait(self, trait: Trait, column: str, name_test: str, seconds: int) -> None:
        w = self.bind(seconds)
        # within_last (>=) and before_last (<) both still read the same at column + w itself.
        passed = _edge_passed(column, w, flips_after=True)
        sql = f"SELECT DISTINCT profile_id FROM {trait.table} WHERE {name_test} AND {passed}"
        self.edges.append(Edge(sql, used_params(sql, self.params)))

    def leaf_ContextCond(self, node: sc.ContextCond) -> str:
        column = f"e.{node.field}"  # from a fixed list of event columns (definition.CONTEXT_FIELDS)
        window = self.window(node.window, "e.timestamp")
        if node.window is not None and node.window.last_s is not None:
            self.edge_events(f"{column} IS NOT NULL", node.window.last_s, flips_after=True)
        latest = (
            f"SELECT e.profile_id, arg_max({column}, e.timestamp) AS v FROM __EVENTS__ e "
            f"WHERE e.profile_id IS NOT NULL AND {column} IS NOT NULL{window} GROUP BY e.profile_id"
        )
        if node.op == "not_exists":
            return self.step(f"SELECT profile_id FROM ({latest})", complement=True)
        test = self.compare("v", node.op, node.value, loose=True)
        return self.step(f"SELECT profile_id FROM ({latest}) WHERE {test}")

    # -- membership, consent, identifiers, early adopters ------------------------------------

    def leaf_SegmentRef(self, node: sc.SegmentRef) -> str:
        segment_id = self.resolver.segment(f"{node.path}.segment", node.ref)
        self.refs.add(segment_id)
        return self.step(
            f"SELECT profile_id FROM segment_members WHERE segment_id = {self.bind(segment_id)}"
            " __SCOPE__"
        )

    def leaf_ConsentCond(self, node: sc.ConsentCond) -> str:
        purpose = self.bind(node.purpose)
        if node.state == "unknown":
            sql = f"SELECT profile_id FROM {_t('consents')} WHERE purpose = {purpose} __SCOPE__"
            return self.step(sql, complement=True)
        granted = "granted" if node.state == "granted" else "NOT granted"
        return self.step(
            f"SELECT profile_id FROM {_t('consents')} WHERE purpose = {purpose} AND {granted}"
            " __SCOPE__"
        )

    def leaf_HasCond(self, node: sc.HasCond) -> str:
        if node.identifier == "push_token":
            return self.step(
                "SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL"
                " AND json_extract_string(e.context, '$.device.token') IS NOT NULL"
            )
        return self.step(
            f"SELECT profile_id FROM {_t('identities')} WHERE id_type = "
            f"{self.bind(node.identifier)} __SCOPE__"
        )

    def leaf_EarlyAdopter(self, node: sc.EarlyAdopter) -> str:
        self.global_ = True
        key = "category" if node.level == "category" else "product_id"
        launched, bought = self.bind(node.launched_s), self.bind(node.bought_s)
        items = self.bind(f"$.products[*].{key}")
        single = self.bind(f"$.{key}")
        # Launch = the item's first appearance in any view, add or order of the workspace.
        return self.step(
            f"""SELECT DISTINCT o.profile_id FROM (
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
        )


_TABLE_TOKEN = re.compile(r"__T_([a-z_]+)__")
SCOPED_TABLES = ("computed_traits", "model_traits", "profile_traits", "consents", "identities")


def _edge_passed(column: str, w: str, *, flips_after: bool) -> str:
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


def _t(table: str) -> str:
    return f"__T_{table}__"


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``sql`` uses (DuckDB refuses unused ones; ``$p1`` is not ``$p10``)."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}


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
        "number": _number,
        "string": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
    }
    wanted = checks.get(trait.type)
    if wanted is not None and not all(wanted(v) for v in values):
        raise sc.issue(
            f"{node.path}.value", "type_mismatch", f"{trait.name} is a {trait.type} trait"
        )


def _json_path(keys: list[str], items: bool) -> str:
    quoted = ".".join(f'"{k}"' for k in keys)
    return f"$.products[*].{quoted}" if items else f"$.{quoted}"


def _json_value(kind: str) -> str:
    casts = {"number": "DOUBLE", "time": "TIMESTAMPTZ", "bool": "BOOLEAN"}
    if kind in casts:
        return f"TRY_CAST(value->>'$' AS {casts[kind]})"
    return "(value->>'$')"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
