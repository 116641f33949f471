"""The SQL compiled from definitions, compared with reviewed snapshots in
tests/snapshots/segments/ (see tests/sql_snapshots.py; regenerate with
``UNICX_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/segments/test_sql_snapshots.py``).

Each file holds the whole-workspace query (``__EVENTS__`` read as ``event_profiles``, the
profile-keyed tables as themselves, no scope) and the edge queries of its time windows; the
``membership_delta_*`` files hold the statements recording who entered and exited.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

import pyarrow as pa
import pytest

from tests.segments.snapshot_cases import DEFINITIONS, SEGMENTS, VOCAB
from tests.sql_snapshots import (
    RecordingSession,
    assert_snapshot,
    params_comment,
    pretty,
    snapshot_text,
)
from unicx.profiles.refresh_scope import EVENTS, TARGETS
from unicx.segments.compiler import SCOPED_TABLES, Compiled, compile_segment
from unicx.segments.definition import parse
from unicx.segments.membership import FULL, Live, Relations, apply, relations_for, select_members
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


class _DeltaSession(RecordingSession):
    """Answers the delta's count query with ``counts`` (entered, exited, today's size row)."""

    def __init__(self, counts: tuple[int, int, list[int] | None]) -> None:
        super().__init__()
        self.counts = counts

    def fetchone(self, sql: str, params: Any = None, *, step: str) -> tuple[Any, ...]:
        self.sql.append(sql)
        return self.counts


SCOPED = Relations(
    events=EVENTS,
    scope=f"AND profile_id IN (SELECT profile_id FROM {TARGETS})",
    tables={t: f"unicx_seg_{t}" for t in SCOPED_TABLES},
)
MEMBERSHIP = {
    # Everyone, nothing changed and today's size row exists: the delta and its counts only.
    "membership_delta_everyone_unchanged": (FULL, (0, 0, [0, 0])),
    # Touched profiles only, people entered and exited: the changes, members and size rows too.
    "membership_delta_touched_changed": (SCOPED, (2, 1, None)),
}


@pytest.mark.parametrize("case", list(MEMBERSHIP))
def test_membership_delta_sql_matches_snapshot(case: str) -> None:
    rel, counts = MEMBERSHIP[case]
    segment = Live("s1", "cart abandoners", 3, _compiled(DEFINITIONS["cart_abandoners"]))
    recorder = _DeltaSession(counts)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    apply(cast(Session, recorder), segment, rel, now=now, reason="ingest", timezone="UTC")
    text = snapshot_text(";\n".join(recorder.sql), title=f"segment {case}")
    assert_snapshot("segments", case, text)


class _ScopeSession(RecordingSession):
    """Also what the scope set-up reads: per-session state and the (empty) ids it copies."""

    def __init__(self) -> None:
        super().__init__()
        self.local: dict[str, Any] = {}

    def to_arrow_table(self) -> pa.Table:
        return pa.table({"id_value": pa.array([], type=pa.string())})


def test_evaluation_over_touched_profiles_sql_matches_snapshot() -> None:
    """The scope copies an incremental pass (or a journey condition, an offer's eligibility)
    makes of the touched profiles' rows, the evaluation into a temp table, and the clean-up."""
    recorder = _ScopeSession()
    session = cast(Session, recorder)
    compiled = _compiled(DEFINITIONS["churn_risk_or_new"])
    with relations_for(session, ["p1", "p2"], traits=compiled.traits) as rel:
        select_members(session, compiled, rel, now=datetime(2026, 1, 1, tzinfo=UTC))
    text = snapshot_text(";\n".join(recorder.sql), title="segment evaluation_over_touched_profiles")
    assert_snapshot("segments", "evaluation_over_touched_profiles", text)
