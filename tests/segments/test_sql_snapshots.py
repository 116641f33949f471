"""The SQL compiled from definitions, compared with reviewed snapshots in snapshots/.

A change to the compiler shows up here as a diff to review; regenerate with
``UNICX_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/segments/test_sql_snapshots.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, cast

import pytest

from unicx.segments.compiler import compile_segment
from unicx.segments.definition import parse
from unicx.segments.registry import Resolver
from unicx.segments.vocabulary import Trait, Vocabulary
from unicx.store import Session

SNAPSHOTS = Path(__file__).parent / "snapshots"
VOCAB = Vocabulary(
    traits={
        "revenue": Trait("revenue", "builtin", "number"),
        "first_seen": Trait("first_seen", "builtin", "time"),
        "plan": Trait("plan", "profile", "string"),
        "churn_risk": Trait("churn_risk", "model", "number"),
    },
    events={"Order Completed", "Product Added"},
    properties={
        "Order Completed": {
            "category": "VARCHAR",
            "revenue": "BIGINT",
            "products[].sku": "VARCHAR",
        },
        "Product Added": {"sku": "VARCHAR"},
    },
)
DEFINITIONS: dict[str, dict[str, Any]] = {
    "whisky_twice_30d": {
        "event": "Order Completed", "within": "30d", "count": {"gte": 2},
        "where": [{"property": "category", "op": "eq", "value": "whisky"}],
    },
    "cart_abandoners": {
        "event": "Product Added", "within": "7d",
        "not_followed_by": {"event": "Order Completed", "within": "1d"},
    },
    "big_spender_mailable_vn": {
        "all": [
            {"event": "Order Completed", "within": "90d",
             "sum": {"property": "revenue", "gte": 5000000}},
            {"consent": "email"},
            {"context": "country", "op": "in", "value": ["VN"]},
            {"not": {"trait": "plan", "op": "eq", "value": "free"}},
        ]
    },
    "churn_risk_or_new": {
        "any": [
            {"trait": "churn_risk", "op": "gte", "value": 0.7},
            {"trait": "first_seen", "op": "within_last", "value": "7d"},
            {"trait": "revenue", "op": "top_percent", "value": 10},
        ]
    },
    "no_order_30d": {"event": "Order Completed", "within": "30d", "count": {"lt": 1}},
}  # fmt: skip


def _compiled(definition: dict[str, Any]) -> str:
    resolver = Resolver(cast(Session, None), VOCAB, {}, strict=True)
    compiled = compile_segment(parse(definition), resolver)
    params = json.dumps(compiled.params, default=str, sort_keys=True)
    edges = "\n".join(f"-- edge: {e.sql}" for e in compiled.edges)
    return f"{compiled.sql}\n-- params: {params}\n{edges}\n"


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_compiled_sql_matches_snapshot(name: str) -> None:
    path = SNAPSHOTS / f"{name}.sql"
    text = _compiled(DEFINITIONS[name])
    if os.environ.get("UNICX_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text)
    assert text == path.read_text()


def test_no_user_value_reaches_the_sql_text() -> None:
    hostile = "x' OR 1=1; DROP TABLE events; --"
    definition = {
        "all": [
            {"trait": "plan", "op": "eq", "value": hostile},
            {"event": "Order Completed", "where": [{"property": "category", "value": hostile}]},
        ]
    }
    text = _compiled(definition)
    sql = text.split("\n-- params:")[0]
    assert "DROP" not in sql and "whisky" not in sql and hostile in text
