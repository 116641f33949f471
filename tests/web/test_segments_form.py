"""The builder's form model: definitions round-trip through the tree, errors find their field."""

from __future__ import annotations

from typing import Any

import pytest

from unicx.errors import FieldIssue
from unicx.segments.names import EditorNames
from unicx.web.segments.fields import from_definition, place
from unicx.web.segments.form import Node, apply_action, parse_form, to_definition

NAMES = EditorNames(
    traits={"revenue": "number", "plan": "string", "last_seen": "time"},
    events=["Order Completed"], identifiers=["email"], purposes=["email"], segments=[],
)  # fmt: skip

ROUND_TRIPS: list[Any] = [
    {"all": [{"trait": "revenue", "op": "gte", "value": 1000000}]},
    {"any": [{"trait": "plan", "op": "in", "value": ["pro", "team"]},
             {"trait": "last_seen", "op": "within_last", "value": "30d"}]},
    {"all": [{"event": "Order Completed", "within": "30d", "count": {"gte": 2}},
             {"any": [{"consent": "email"}, {"has": "email"}]},
             {"context": "country", "op": "in", "value": ["VN", "SG"]},
             {"segment": "seg_1"},
             {"not": {"trait": "plan", "op": "exists"}}]},
    {"all": [{"event": "Product Added", "within": "7d",
              "not_followed_by": {"event": "Order Completed", "within": "1d"}}]},
]  # fmt: skip


def _posted(node: Node) -> dict[str, str]:
    out = {f"n{node.key}.kind": node.kind}
    out.update({f"n{node.key}.{k}": v for k, v in node.values.items()})
    for child in node.children:
        out.update(_posted(child))
    return out


@pytest.mark.parametrize("definition", ROUND_TRIPS)
def test_definitions_round_trip_through_the_form(definition: Any) -> None:
    tree = parse_form(_posted(from_definition(definition)))
    assert to_definition(tree, NAMES).definition == definition


def test_a_single_condition_is_wrapped_in_a_group() -> None:
    built = to_definition(from_definition({"has": "email"}), NAMES)
    assert built.definition == {"all": [{"has": "email"}]}


def test_actions_renumber_the_tree() -> None:
    tree = from_definition(ROUND_TRIPS[2])
    apply_action(tree, "remove:0-1")
    apply_action(tree, "add:0:trait")
    assert [c.key for c in tree.children] == ["0-0", "0-1", "0-2", "0-3", "0-4"]
    assert tree.children[-1].kind == "trait" and tree.children[1].kind == "context"
    apply_action(tree, "remove:0")  # the root stays
    assert tree.key == "0" and len(tree.children) == 5


def test_errors_land_on_the_field_their_path_names() -> None:
    built = to_definition(from_definition(ROUND_TRIPS[2]), NAMES)
    issues = [
        FieldIssue("definition.all[0].count.gte", "count", "whole numbers"),
        FieldIssue("definition.all[1].any[1].has", "name", "bad"),
        FieldIssue("definition.all[4].not.op", "unknown_operator", "bad op"),
        FieldIssue("definition.all", "empty", "needs one"),
        FieldIssue("name", "name", "give a name"),
    ]
    placed = [(e.key, e.field) for e in place(issues, built)]
    assert placed == [("0-0", "count"), ("0-1-1", "has"), ("0-4", "json"), ("0", "group"),
                      ("form", "name")]  # fmt: skip


def test_a_json_block_that_is_not_json_is_an_error_at_it() -> None:
    tree = parse_form({"n0.kind": "all", "n0-0.kind": "json", "n0-0.json": "{nope"})
    built = to_definition(tree, NAMES)
    assert [(e.key, e.field) for e in place(built.issues, built)] == [("0-0", "json")]
