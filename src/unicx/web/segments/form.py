"""The builder's form: a tree of conditions posted as flat fields, turned into a definition.

A node's fields are named ``n<key>.<field>``; a key is its position (``0`` the root group,
``0-2`` its third child, ``0-2-1`` ...). Each request re-numbers the tree, so removing a node
never leaves a gap. Building the definition records the definition path of every node, so a
validation error (``definition.all[1].count.gte``) lands next to the field it names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from unicx.errors import FieldIssue
from unicx.segments import conditions as sc
from unicx.segments.names import EditorNames

GROUPS = ("all", "any")
LEAVES = ("trait", "event", "segment", "consent", "has", "context", "json")
# The fields of each kind, in the order of the form (an error slot follows each).
FIELDS: dict[str, tuple[str, ...]] = {
    "all": ("group",),
    "any": ("group",),
    "trait": ("trait", "op", "value"),
    "event": ("event", "count", "within"),
    "segment": ("segment",),
    "consent": ("consent", "state"),
    "has": ("has",),
    "context": ("context", "op", "value"),
    "json": ("json",),
}
COUNT_OPS = ("gte", "gt", "eq", "lte", "lt")
WITHIN_UNITS = ("d", "h", "w", "m")
GEO_OPS = ("eq", "neq", "in", "not_in", "exists", "not_exists")
MAX_NODES = 100
_FIELD_NAME = re.compile(r"^n(0(?:-\d{1,3}){0,8})\.([a-z_]{1,20})$")
_DEFAULTS: dict[str, dict[str, str]] = {
    "trait": {"op": "eq"},
    "event": {"count_op": "gte", "count": "1", "within_u": "d"},
    "consent": {"consent": "email", "state": "granted"},
    "has": {"has": "email"},
    "context": {"context": "country", "op": "eq"},
}


@dataclass
class Node:
    key: str
    kind: str
    values: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def group(self) -> bool:
        return self.kind in GROUPS

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def empty_tree() -> Node:
    return Node("0", "all")


def new_node(kind: str) -> Node:
    return Node("", kind, dict(_DEFAULTS.get(kind, {})))


# -- posted fields -> tree ---------------------------------------------------------------------


def parse_form(form: Mapping[str, str]) -> Node:
    """The tree the form describes (an empty ``all`` group when it describes none)."""
    fields: dict[str, dict[str, str]] = {}
    for name, value in form.items():
        match = _FIELD_NAME.match(name)
        if match and len(fields) <= MAX_NODES:
            fields.setdefault(match.group(1), {})[match.group(2)] = str(value)[: sc.MAX_STRING]
    root = _node_at("0", fields)
    if root is None or not root.group:
        return empty_tree()
    renumber(root, "0")
    return root


def _node_at(key: str, fields: dict[str, dict[str, str]]) -> Node | None:
    values = fields.get(key)
    if values is None:
        return None
    kind = values.pop("kind", "")
    if kind not in GROUPS and kind not in LEAVES:
        return None
    node = Node(key, kind, values)
    if node.group:
        prefix = f"{key}-"
        direct = {k for k in fields if k.startswith(prefix) and "-" not in k[len(prefix) :]}
        for child_key in sorted(direct, key=lambda k: int(k[len(prefix) :])):
            child = _node_at(child_key, fields)
            if child is not None:
                node.children.append(child)
    return node


def renumber(node: Node, key: str) -> None:
    node.key = key
    for i, child in enumerate(node.children):
        renumber(child, f"{key}-{i}")


def apply_action(root: Node, action: str) -> None:
    """``add:<group key>:<kind>`` or ``remove:<key>``; anything else changes nothing."""
    parts = action.split(":")
    nodes = {n.key: n for n in root.walk()}
    if len(parts) == 3 and parts[0] == "add" and parts[2] in (*GROUPS, *LEAVES):
        target = nodes.get(parts[1])
        if target is not None and target.group and len(nodes) < MAX_NODES:
            target.children.append(new_node(parts[2]))
    elif len(parts) == 2 and parts[0] == "remove" and parts[1] != "0":
        for node in nodes.values():
            node.children = [c for c in node.children if c.key != parts[1]]
    renumber(root, "0")


# -- tree -> definition ------------------------------------------------------------------------


@dataclass
class Built:
    definition: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # node key -> path in the definition
    kinds: dict[str, str] = field(default_factory=dict)  # node key -> its kind
    issues: list[FieldIssue] = field(default_factory=list)  # JSON blocks that are not JSON


def to_definition(root: Node, names: EditorNames) -> Built:
    """The definition the tree writes, with the path of each node; a JSON block that is not
    JSON is an issue at that block's path, like the service's own errors."""
    built = Built()
    built.definition = _build(root, "definition", names, built)
    return built


def _build(node: Node, path: str, names: EditorNames, built: Built) -> Any:
    built.paths[node.key] = path
    built.kinds[node.key] = node.kind
    if node.group:
        return {
            node.kind: [
                _build(c, f"{path}.{node.kind}[{i}]", names, built)
                for i, c in enumerate(node.children)
            ]
        }
    if node.kind == "json":
        try:
            return json.loads(node.get("json") or "null")
        except ValueError as exc:
            built.issues.append(FieldIssue(path, "json", f"not valid JSON: {exc}"))
            return None
    leaf: dict[str, Any] = _LEAF[node.kind](node, names)
    return leaf


def _trait(node: Node, names: EditorNames) -> dict[str, Any]:
    out: dict[str, Any] = {"trait": node.get("trait").strip(), "op": node.get("op")}
    op, text = node.get("op"), node.get("value").strip()
    if op in sc.PRESENCE_OPS:
        return out
    kind = names.trait_type(out["trait"]) or "any"
    if op in ("in", "not_in", "between"):
        out["value"] = [_typed(v.strip(), kind) for v in text.split(",") if v.strip()]
    elif op in sc.TIME_OPS:
        out["value"] = text
    elif op == "top_percent":
        out["value"] = _typed(text, "number")
    else:
        out["value"] = _typed(text, kind)
    return out


def _typed(text: str, kind: str) -> Any:
    """The value as the trait's type (text the type cannot read stays text: the service's
    error then names the field)."""
    if kind in ("number", "any"):
        try:
            number = float(text.replace(",", "")) if text else None
        except ValueError:
            return text
        if number is not None:
            return int(number) if number.is_integer() and "." not in text else number
    if kind in ("bool", "any") and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _event(node: Node, names: EditorNames) -> dict[str, Any]:
    out: dict[str, Any] = {"event": node.get("event").strip()}
    amount, unit = node.get("within_n").strip(), node.get("within_u") or "d"
    if amount:
        out["within"] = f"{amount}{unit}"
    op, count = node.get("count_op") or "gte", node.get("count").strip() or "1"
    if (op, count) != ("gte", "1"):
        out["count"] = {op: _typed(count, "number")}
    return out


def _segment(node: Node, names: EditorNames) -> dict[str, Any]:
    return {"segment": node.get("segment")}


def _consent(node: Node, names: EditorNames) -> dict[str, Any]:
    out: dict[str, Any] = {"consent": node.get("consent")}
    if node.get("state") not in ("", "granted"):
        out["state"] = node.get("state")
    return out


def _has(node: Node, names: EditorNames) -> dict[str, Any]:
    return {"has": node.get("has")}


def _context(node: Node, names: EditorNames) -> dict[str, Any]:
    out: dict[str, Any] = {"context": node.get("context"), "op": node.get("op")}
    text = node.get("value").strip()
    if node.get("op") in ("in", "not_in"):
        out["value"] = [v.strip() for v in text.split(",") if v.strip()]
    elif node.get("op") not in sc.PRESENCE_OPS:
        out["value"] = text
    return out


_LEAF = {
    "trait": _trait,
    "event": _event,
    "segment": _segment,
    "consent": _consent,
    "has": _has,
    "context": _context,
}
