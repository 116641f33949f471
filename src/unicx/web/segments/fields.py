"""A saved definition back into the builder's tree, and validation errors onto its fields.

A condition the builder has no form for (``where``, ``sum``, ``not_followed_by``, ``not``,
``early_adopter``, absolute windows) becomes a JSON block holding that part of the definition:
editing a segment never loses what its form cannot show.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from unicx.errors import FieldIssue
from unicx.web.segments.form import (
    COUNT_OPS,
    FIELDS,
    GEO_OPS,
    GROUPS,
    Built,
    Node,
    empty_tree,
    renumber,
)

_WITHIN = re.compile(r"^(\d{1,6})([mhdw])$")
_EVENT_OPS = frozenset(COUNT_OPS)


def from_definition(raw: Any) -> Node:
    """The builder's tree of a definition (always a group at the root)."""
    if not isinstance(raw, dict) or not raw:
        return empty_tree()
    node = _node(raw)
    root = node if node.group else Node("0", "all", {}, [node])
    renumber(root, "0")
    return root


def _node(raw: Any) -> Node:
    if isinstance(raw, dict) and len(raw) == 1:
        kind = next(iter(raw))
        if kind in GROUPS and isinstance(raw[kind], list) and raw[kind]:
            return Node("", kind, {}, [_node(c) for c in raw[kind]])
    leaf = _leaf(raw) if isinstance(raw, dict) else None
    if leaf is not None:
        return leaf
    return Node("", "json", {"json": json.dumps(raw, ensure_ascii=False, indent=2)})


def _leaf(raw: dict[str, Any]) -> Node | None:
    keys = set(raw)
    if "trait" in raw and keys <= {"trait", "op", "value"}:
        return Node("", "trait", {"trait": str(raw["trait"]), "op": str(raw.get("op", "")),
                                  "value": _text(raw.get("value"))})  # fmt: skip
    if "event" in raw and keys <= {"event", "within", "count"}:
        return _event(raw)
    if keys == {"segment"}:
        return Node("", "segment", {"segment": str(raw["segment"])})
    if "consent" in raw and keys <= {"consent", "state"}:
        state = str(raw.get("state", "granted"))
        return Node("", "consent", {"consent": str(raw["consent"]), "state": state})
    if keys == {"has"}:
        return Node("", "has", {"has": str(raw["has"])})
    if "context" in raw and keys <= {"context", "op", "value"} and raw.get("op") in GEO_OPS:
        return Node("", "context", {"context": str(raw["context"]), "op": str(raw["op"]),
                                    "value": _text(raw.get("value"))})  # fmt: skip
    return None


def _event(raw: dict[str, Any]) -> Node | None:
    values = {"event": str(raw["event"]), "count_op": "gte", "count": "1", "within_u": "d"}
    within = raw.get("within")
    if within is not None:
        match = _WITHIN.match(within) if isinstance(within, str) else None
        if match is None:
            return None
        values["within_n"], values["within_u"] = match.group(1), match.group(2)
    count = raw.get("count")
    if count is not None:
        if not isinstance(count, dict) or len(count) != 1 or next(iter(count)) not in _EVENT_OPS:
            return None
        op, value = next(iter(count.items()))
        values["count_op"], values["count"] = op, _text(value)
    return Node("", "event", values)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- errors -> fields ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    key: str  # node key, or "form" for the fields outside the tree (name, description)
    field: str
    message: str


def place(issues: list[FieldIssue], built: Built | None) -> list[FieldError]:
    """Each issue at the node field its path names (the root group when none matches)."""
    out = []
    for item in issues:
        if not item.field.startswith("definition") or built is None:
            out.append(FieldError("form", _form_field(item.field), item.message))
            continue
        key = _owner(item.field, built.paths)
        rest = item.field[len(built.paths[key]) :].lstrip(".")
        out.append(FieldError(key, _field_of(built.kinds[key], rest), item.message))
    return out


def _form_field(path: str) -> str:
    return path if path in ("name", "description") else "definition"


def _owner(path: str, paths: dict[str, str]) -> str:
    best = "0"
    for key, prefix in paths.items():
        inside = path == prefix or path.startswith((prefix + ".", prefix + "["))
        if inside and len(prefix) > len(paths.get(best, "")):
            best = key
    return best


def _field_of(kind: str, rest: str) -> str:
    """``count.gte`` -> ``count``; a name the kind has no field for -> its first field."""
    head = re.split(r"[.\[]", rest, maxsplit=1)[0] if rest else ""
    own = FIELDS[kind]
    if kind == "context" and head == "within":
        return "value"
    return head if head in own else own[0]
