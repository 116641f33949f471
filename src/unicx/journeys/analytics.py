"""Per-journey numbers: entries, progress, exits, node visits, messages, goal conversion of
the people messaged vs the holdout (uplift with a 95 % interval), time to convert, stages.

One named query per figure, each returning its model; :func:`journey_stats` puts them together.
"""

from __future__ import annotations

import math

from unicx.journeys.models import (
    BranchConversion,
    GoalConversion,
    GroupConversion,
    JourneyStats,
    JourneyTotals,
    NodeStats,
    StageConversion,
    Uplift,
)
from unicx.journeys.service import JourneyService
from unicx.store import Session, Store


def totals(s: Session, journey_id: str) -> JourneyTotals:
    row = s.fetch_dicts(
        "SELECT count(*) AS entered, count(*) FILTER (WHERE status = 'active') AS in_progress, "
        "count(*) FILTER (WHERE holdout) AS holdout, "
        "count(*) FILTER (WHERE goal_at IS NOT NULL) AS converted "
        "FROM journey_runs WHERE journey_id = ?",
        [journey_id],
        step="journeys.stats_totals",
    )[0]
    return JourneyTotals(**{k: int(v) for k, v in row.items()})


def exits(s: Session, journey_id: str) -> dict[str, int]:
    """People who left, per exit reason, most frequent first."""
    rows = s.fetchall(
        "SELECT exit_reason, count(*) FROM journey_runs WHERE journey_id = ? "
        "AND status = 'done' GROUP BY ALL ORDER BY 2 DESC",
        [journey_id],
        step="journeys.stats_exits",
    )
    return {str(reason): int(n) for reason, n in rows}


def nodes(s: Session, journey_id: str) -> dict[str, NodeStats]:
    """Per node: people per outcome, visits, and the people waiting there now."""
    out: dict[str, NodeStats] = {}
    for node_id, outcome, people, visits in s.fetchall(
        "SELECT node_id, outcome, count(DISTINCT run_id), count(*) FROM journey_steps "
        "WHERE journey_id = ? GROUP BY ALL ORDER BY 1, 2",
        [journey_id],
        step="journeys.stats_nodes",
    ):
        entry = out.setdefault(str(node_id), NodeStats(outcomes={}, visits=0))
        entry.outcomes[str(outcome)] = int(people)
        entry.visits += int(visits)
    for node_id, waiting in s.fetchall(
        "SELECT node_id, count(*) FROM journey_runs WHERE journey_id = ? "
        "AND status = 'active' GROUP BY ALL",
        [journey_id],
        step="journeys.stats_here",
    ):
        out.setdefault(str(node_id), NodeStats(outcomes={}, visits=0)).now_here = int(waiting)
    return out


def messages(s: Session, journey_id: str) -> dict[str, dict[str, int]]:
    """Messages per channel and status."""
    out: dict[str, dict[str, int]] = {}
    for channel, status, n in s.fetchall(
        "SELECT channel, status, count(*) FROM messages WHERE journey_id = ? GROUP BY ALL",
        [journey_id],
        step="journeys.stats_messages",
    ):
        out.setdefault(str(channel), {})[str(status)] = int(n)
    return out


def engagement(s: Session, journey_id: str) -> dict[str, int]:
    """Messages with at least one event of each kind (opened, clicked, …)."""
    rows = s.fetchall(
        "SELECT e.status, count(DISTINCT e.message_id) FROM message_events e "
        "JOIN messages m USING (message_id) WHERE m.journey_id = ? GROUP BY ALL",
        [journey_id],
        step="journeys.stats_engaged",
    )
    return {str(status): int(n) for status, n in rows}


def stages(s: Session, journey_id: str) -> list[StageConversion]:
    """People and conversions per lifecycle stage, largest first."""
    rows = s.fetchall(
        "SELECT st.stage, count(DISTINCT st.run_id), "
        "count(DISTINCT st.run_id) FILTER (WHERE r.goal_at IS NOT NULL) "
        "FROM journey_steps st JOIN journey_runs r USING (run_id) "
        "WHERE st.journey_id = ? AND st.stage IS NOT NULL GROUP BY ALL "
        "ORDER BY 2 DESC",
        [journey_id],
        step="journeys.stats_stages",
    )
    return [StageConversion(stage=str(st), people=int(n), converted=int(c)) for st, n, c in rows]


def goal_conversion(s: Session, journey_id: str) -> GoalConversion:
    """Goal conversion of the people messaged vs the holdout, among runs with a goal."""
    row = s.fetchone(
        "SELECT count(*) FILTER (WHERE NOT holdout), "
        "count(*) FILTER (WHERE NOT holdout AND goal_at IS NOT NULL), "
        "count(*) FILTER (WHERE holdout), count(*) FILTER (WHERE holdout AND goal_at IS NOT NULL), "
        "median(epoch(goal_at) - epoch(entered_at)) FILTER (WHERE NOT holdout) "
        "FROM journey_runs WHERE journey_id = ? AND goal_until IS NOT NULL",
        [journey_id],
        step="journeys.stats_goal",
    )
    assert row is not None
    n_t, c_t, n_h, c_h, median_s = (int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4])
    return GoalConversion(
        messaged=_group(n_t, c_t),
        holdout=_group(n_h, c_h),
        median_time_to_convert_s=float(median_s) if median_s is not None else None,
        uplift=_uplift(n_t, c_t, n_h, c_h) if n_t and n_h else None,
    )


def branches(s: Session, journey_id: str) -> list[BranchConversion]:
    """Per node and outcome (yes, no, an A/B branch, timeout…): the people messaged (not the
    holdout, among runs with a goal) who left that way, and how many of them converted."""
    rows = s.fetchall(
        "SELECT st.node_id, st.outcome, count(DISTINCT st.run_id), "
        "count(DISTINCT st.run_id) FILTER (WHERE r.goal_at IS NOT NULL) "
        "FROM journey_steps st JOIN journey_runs r USING (run_id) "
        "WHERE st.journey_id = ? AND NOT r.holdout AND r.goal_until IS NOT NULL "
        "GROUP BY ALL ORDER BY 1, 2",
        [journey_id],
        step="journeys.stats_branches",
    )
    return [
        BranchConversion(node_id=str(n), outcome=str(o), people=int(p), converted=int(c))
        for n, o, p, c in rows
    ]


def branch_conversion(store: Store, ref: str) -> list[BranchConversion]:
    journey_id = JourneyService(store).get(ref).journey_id
    with store.session() as s:
        return branches(s, journey_id)


def goals(store: Store, journey_ids: list[str]) -> dict[str, GoalConversion]:
    """Goal conversion and uplift vs holdout of several journeys (a list page)."""
    with store.session() as s:
        return {jid: goal_conversion(s, jid) for jid in journey_ids}


def _group(people: int, converted: int) -> GroupConversion:
    return GroupConversion(
        people=people, converted=converted, rate=converted / people if people else None
    )


def _uplift(n_t: int, c_t: int, n_h: int, c_h: int) -> Uplift:
    # statsmodels takes seconds to import: load it when a journey has a holdout to compare.
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(c_t, n_t, c_h, n_h, method="newcomb")
    return Uplift(
        difference=c_t / n_t - c_h / n_h,
        ci95=[float(low), float(high)],
        significant=not (low <= 0 <= high) and not math.isnan(low),
    )


def journey_stats(store: Store, ref: str) -> JourneyStats:
    journey = JourneyService(store).get(ref)
    jid = journey.journey_id
    with store.session() as s:
        return JourneyStats(
            journey_id=jid,
            name=journey.name,
            status=journey.status,
            **totals(s, jid).model_dump(),
            exits=exits(s, jid),
            nodes=nodes(s, jid),
            messages=messages(s, jid),
            engagement=engagement(s, jid),
            goal=goal_conversion(s, jid),
            stages=stages(s, jid),
        )
