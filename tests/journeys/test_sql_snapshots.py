"""The SQL journeys generate, compared with reviewed snapshots in tests/snapshots/journeys/
(see tests/sql_snapshots.py): a condition node's segment condition as the worker evaluates it
(over the runs' profiles only), the queries loading and writing runs, the journey stats
queries and the audience sample of a dry run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from tests.segments.snapshot_cases import SEGMENTS, VOCAB
from tests.sql_snapshots import RecordingSession, assert_snapshot, snapshot_text
from unicx.journeys import analytics
from unicx.journeys.engine import Run
from unicx.journeys.runs import insert_runs, load_due, load_for_profiles, update_runs
from unicx.journeys.simulate import audience_sample_sql
from unicx.profiles.refresh_scope import EVENTS, TARGETS
from unicx.segments.compiler import SCOPED_TABLES, compile_segment
from unicx.segments.definition import parse
from unicx.segments.registry import Resolver
from unicx.store import Session

CONDITIONS: dict[str, dict[str, Any]] = {
    "condition_bought_since_7d_and_mailable": {
        "all": [{"event": "Order Completed", "within": "7d"}, {"consent": "email"}]
    },
    "condition_vip_or_big_spender": {
        "any": [{"segment": "vip"}, {"trait": "revenue", "op": "gte", "value": 1000000}]
    },
}


def _condition_sql(raw: dict[str, Any]) -> str:
    """As ConditionEvaluator runs it: over the scope copies made by relations_for."""
    compiled = compile_segment(parse(raw), Resolver(cast(Session, None), VOCAB, SEGMENTS))
    tables = {t: f"unicx_seg_{t}" for t in SCOPED_TABLES}
    scope = f"AND profile_id IN (SELECT profile_id FROM {TARGETS})"
    return compiled.render(events=EVENTS, scope=scope, tables=tables)


def _recorded(call: Callable[[Session], object]) -> str:
    recorder = RecordingSession()
    call(cast(Session, recorder))
    return ";\n".join(recorder.sql)


class _StatsSession(RecordingSession):
    """Also answers the one-row stats queries (with zeros), so each records its SQL."""

    def fetchone(self, sql: str, params: Any = None, *, step: str) -> tuple[Any, ...]:
        self.sql.append(sql)
        return (0, 0, 0, 0, None)

    def fetch_dicts(self, sql: str, params: Any = None, *, step: str) -> list[dict[str, Any]]:
        self.sql.append(sql)
        return [{"entered": 0, "in_progress": 0, "holdout": 0, "converted": 0}]


def _stats_sql(query: Callable[[Session, str], object]) -> str:
    recorder = _StatsSession()
    query(cast(Session, recorder), "j1")
    return ";\n".join(recorder.sql)


STATS: dict[str, Callable[[Session, str], object]] = {
    "stats_totals": analytics.totals,
    "stats_exits": analytics.exits,
    "stats_nodes_and_waiting": analytics.nodes,
    "stats_messages": analytics.messages,
    "stats_engagement": analytics.engagement,
    "stats_stages": analytics.stages,
    "stats_goal_conversion": analytics.goal_conversion,
    "stats_branches": analytics.branches,
}

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RUN = Run("r1", "j1", 1, "p1", "n1", "enter", "active", NOW, NOW)
CASES = {
    **{name: (lambda raw=raw: _condition_sql(raw)) for name, raw in CONDITIONS.items()},
    "load_due_runs": lambda: _recorded(lambda s: load_due(s, NOW, 100)),
    "load_active_runs_of_profiles": lambda: _recorded(
        lambda s: load_for_profiles(s, ["p1"], active_only=True)
    ),
    "load_runs_of_profiles": lambda: _recorded(
        lambda s: load_for_profiles(s, ["p1"], active_only=False)
    ),
    "insert_runs": lambda: _recorded(lambda s: insert_runs(s, [RUN], NOW)),
    "update_runs": lambda: _recorded(lambda s: update_runs(s, [RUN], NOW)),
    **{name: (lambda query=query: _stats_sql(query)) for name, query in STATS.items()},
    "simulate_sample_of_entry_segment": lambda: audience_sample_sql(of_segment=True, size=500),
    "simulate_sample_of_workspace": lambda: audience_sample_sql(of_segment=False, size=1000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_journeys_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("journeys", case, snapshot_text(CASES[case](), title=f"journeys {case}"))
