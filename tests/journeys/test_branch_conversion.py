"""Goal conversion per branch (analytics.branches) on a real DuckDB file: the people messaged
who left a node one way, and how many of them converted; the holdout and runs without a goal
do not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Workspace
from unicx.journeys.analytics import branches
from unicx.journeys.engine import Effects, Run, StepRow
from unicx.journeys.runs import insert_runs, write_effects
from unicx.workspace import open_store

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _run(run_id: str, *, converted: bool, holdout: bool = False, goal: bool = True) -> Run:
    run = Run(run_id, "j1", 1, f"p-{run_id}", "bought", "enter", "done", None, NOW)
    run.holdout = holdout
    run.goal_until = NOW + timedelta(days=7) if goal else None
    run.goal_at = NOW + timedelta(hours=2) if converted else None
    return run


def test_branch_conversion_counts_the_messaged_with_a_goal(workspace: Workspace) -> None:
    runs = {
        "r1": ("yes", _run("r1", converted=True)),
        "r2": ("no", _run("r2", converted=True)),
        "r3": ("no", _run("r3", converted=False)),
        "r4": ("no", _run("r4", converted=True, holdout=True)),
        "r5": ("no", _run("r5", converted=True, goal=False)),
    }
    steps = [
        StepRow(r.run_id, "j1", 1, r.profile_id, "bought", None, NOW, outcome)
        for outcome, r in runs.values()
    ]
    store = open_store(workspace.settings)
    try:
        with store.session() as s, s.transaction():
            insert_runs(s, [r for _, r in runs.values()], NOW)
            write_effects(s, workspace.settings, Effects(steps=steps), NOW)
        with store.session() as s:
            found = {(b.node_id, b.outcome): (b.people, b.converted) for b in branches(s, "j1")}
    finally:
        store.close()
    assert found == {("bought", "no"): (2, 1), ("bought", "yes"): (1, 1)}
