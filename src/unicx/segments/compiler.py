"""A parsed segment definition -> one SQL query (DuckDB dialect) with bound parameters.

Each leaf becomes a CTE step producing the profile ids it holds, named after what it holds
(:mod:`unicx.segments.step_names`, e.g. ``did_order_completed_in_30d``); the boolean tree
becomes ``profile_id IN (SELECT profile_id FROM <step>)`` tests over ``profiles``. Every value
the user wrote is a bound parameter: names, property paths and values reach the SQL text only
as the ``[a-z0-9_]`` words of a step's name, so no definition can inject SQL. Relation names
are tokens the evaluator swaps for the whole workspace or for a scope of touched profiles:

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
from unicx.segments.sql_terms import (
    NOW,
    as_text,
    check_trait_op,
    early_adopters_sql,
    edge_passed,
    is_number,
    json_path,
    json_value,
    scoped,
)
from unicx.segments.step_names import StepNames
from unicx.segments.vocabulary import SPECIAL_EVENTS, Trait


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
    steps = ",\n".join(f"{name} AS (\n  {sql}\n)" for name, sql in builder.steps)
    sql = f"WITH {steps}\nSELECT profile_id FROM profiles WHERE ({where}) __SCOPE__"
    return Compiled(
        sql, builder.params, builder.edges, builder.refs, builder.traits, builder.global_
    )


class _Builder:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.steps: list[tuple[str, str]] = []  # (name, SELECT)
        self.names = StepNames()
        self.params: dict[str, Any] = {"now": None}
        self.edges: list[Edge] = []
        self.refs: set[str] = set()
        self.traits: set[str] = set()
        self.global_ = False

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = list(value) if isinstance(value, tuple) else value
        return f"${name}"

    def step(self, node: sc.Node, sql: str, *, complement: bool = False) -> str:
        name = self.names.unique(node)
        self.steps.append((name, sql))
        test = f"profile_id IN (SELECT profile_id FROM {name})"
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
            items = f"json_extract_string({alias}.properties, {self.bind(json_path(keys, True))})"
            if cond.op == "exists":
                return f"len(list_filter({items}, x -> x IS NOT NULL)) > 0"
            values = cond.value if cond.op == "in" else (cond.value,)
            return f"list_has_any({items}, {self.bind([str(as_text(v)) for v in values])})"
        path = self.bind(json_path(cond.prop.split("."), False))
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
            expr, value = f"lower({expr})", as_text(value)
        elif (
            loose
            and is_number(sample)
            and (not isinstance(value, tuple) or all(map(is_number, value)))
        ):
            expr = f"TRY_CAST({expr} AS DOUBLE)"
        elif loose:
            value = tuple(map(as_text, value)) if isinstance(value, tuple) else as_text(value)
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
            path = self.bind(json_path(node.sum_of.split("."), False))
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
        return self.step(node, sql, complement=zero)

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
            f" AND {match} AND {edge_passed('e.timestamp', w, flips_after=flips_after)}"
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
        typed = json_value(trait.type)
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
            table = scoped(trait.table)
            exists = f"SELECT profile_id FROM {table} WHERE {name_test} AND {typed} IS NOT NULL"
            return self.step(node, f"{exists} __SCOPE__", complement=True)
        return self.step(
            node,
            f"SELECT profile_id FROM {scoped(trait.table)} WHERE {name_test} AND {test} __SCOPE__",
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
        passed = edge_passed(column, w, flips_after=True)
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
            return self.step(node, f"SELECT profile_id FROM ({latest})", complement=True)
        test = self.compare("v", node.op, node.value, loose=True)
        return self.step(node, f"SELECT profile_id FROM ({latest}) WHERE {test}")

    # -- membership, consent, identifiers, early adopters ------------------------------------

    def leaf_SegmentRef(self, node: sc.SegmentRef) -> str:
        segment_id = self.resolver.segment(f"{node.path}.segment", node.ref)
        self.refs.add(segment_id)
        return self.step(
            node,
            f"SELECT profile_id FROM segment_members WHERE segment_id = {self.bind(segment_id)}"
            " __SCOPE__",
        )

    def leaf_ConsentCond(self, node: sc.ConsentCond) -> str:
        purpose = self.bind(node.purpose)
        if node.state == "unknown":
            sql = f"SELECT profile_id FROM {scoped('consents')} WHERE purpose = {purpose} __SCOPE__"
            return self.step(node, sql, complement=True)
        granted = "granted" if node.state == "granted" else "NOT granted"
        return self.step(
            node,
            f"SELECT profile_id FROM {scoped('consents')} WHERE purpose = {purpose} AND {granted}"
            " __SCOPE__",
        )

    def leaf_HasCond(self, node: sc.HasCond) -> str:
        if node.identifier == "push_token":
            return self.step(
                node,
                "SELECT e.profile_id FROM __EVENTS__ e WHERE e.profile_id IS NOT NULL"
                " AND json_extract_string(e.context, '$.device.token') IS NOT NULL",
            )
        return self.step(
            node,
            f"SELECT profile_id FROM {scoped('identities')} WHERE id_type = "
            f"{self.bind(node.identifier)} __SCOPE__",
        )

    def leaf_EarlyAdopter(self, node: sc.EarlyAdopter) -> str:
        self.global_ = True
        key = "category" if node.level == "category" else "product_id"
        launched, bought = self.bind(node.launched_s), self.bind(node.bought_s)
        items, single = self.bind(f"$.products[*].{key}"), self.bind(f"$.{key}")
        return self.step(node, early_adopters_sql(items, single, launched, bought))


_TABLE_TOKEN = re.compile(r"__T_([a-z_]+)__")
SCOPED_TABLES = ("computed_traits", "model_traits", "profile_traits", "consents", "identities")


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``sql`` uses (DuckDB refuses unused ones; ``$p1`` is not ``$p10``)."""
    names = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in names}
