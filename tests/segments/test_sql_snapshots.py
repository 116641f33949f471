"""The SQL compiled from definitions, compared with reviewed snapshots in
tests/snapshots/segments/ (see tests/sql_snapshots.py; regenerate with
``UNICX_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/segments/test_sql_snapshots.py``).

Each file holds the whole-workspace query (``__EVENTS__`` read as ``event_profiles``, the
profile-keyed tables as themselves, no scope) and the edge queries of its time windows.
"""

from __future__ import annotations

import re
from typing import Any, cast

import pytest

from tests.segments.snapshot_cases import DEFINITIONS, SEGMENTS, VOCAB
from tests.sql_snapshots import assert_snapshot, params_comment, pretty, snapshot_text
from unicx.segments.compiler import Compiled, compile_segment
from unicx.segments.definition import parse
from unicx.segments.personas import matrix_sql
from unicx.segments.registry import Resolver
from unicx.store import Session


def _compiled(definition: dict[str, Any]) -> Compiled:
    resolver = Resolver(cast(Session, None), VOCAB, SEGMENTS, strict=True)
    return compile_segment(parse(definition), resolver)


def _text(name: str, compiled: Compiled) -> str:
    parts = [f"-- segment {name}", params_comment(compiled.params).rstrip("\n")]
    parts.append(pretty(compiled.render(events="event_profiles", scope="")))
    for i, edge in enumerate(compiled.edges, 1):
        parts.append(f"-- edge {i}: who may change between $prev and $now\n{pretty(edge.sql)}")
    return "\n".join(parts)


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_compiled_sql_matches_snapshot(name: str) -> None:
    assert_snapshot("segments", name, _text(name, _compiled(DEFINITIONS[name])))


@pytest.mark.parametrize(("categories", "other"), [(3, True), (2, False)])
def test_persona_features_sql_matches_snapshot(categories: int, other: bool) -> None:
    case = f"persona_features_{categories}_categories{'_and_other' if other else ''}"
    text = snapshot_text(matrix_sql(categories, other), title=f"segment personas {case}")
    assert_snapshot("segments", case, text)


def test_step_names_are_plain_unique_identifiers() -> None:
    for definition in DEFINITIONS.values():
        names = re.findall(r"(\w+) AS \(\n", _compiled(definition).sql)
        assert names and len(names) == len(set(names))
        assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,63}", n) for n in names)


def test_no_user_value_reaches_the_sql_text() -> None:
    hostile = "x' OR 1=1; DROP TABLE events; --"
    definition = {
        "all": [
            {"trait": "plan", "op": "eq", "value": hostile},
            {"event": "Order Completed", "where": [{"property": "category", "value": hostile}]},
        ]
    }
    compiled = _compiled(definition)
    assert "DROP" not in compiled.sql and "'" not in compiled.sql.replace("'$'", "")
    assert hostile in compiled.params.values()
