"""Per-journey numbers: entries, progress, exits, node visits, messages, goal conversion of
the people messaged vs the holdout (uplift with a 95 % interval), time to convert, stages."""

from __future__ import annotations

import math
from typing import Any

from unicx.journeys.service import JourneyService
from unicx.store import Session, Store


def _conversion(s: Session, journey_id: str) -> dict[str, Any]:
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
    out: dict[str, Any] = {
        "messaged": {"people": n_t, "converted": c_t, "rate": c_t / n_t if n_t else None},
        "holdout": {"people": n_h, "converted": c_h, "rate": c_h / n_h if n_h else None},
        "median_time_to_convert_s": float(median_s) if median_s is not None else None,
        "uplift": None,
    }
    if n_t and n_h:
        # statsmodels takes seconds to import: load it when a journey has a holdout to compare.
        from statsmodels.stats.proportion import confint_proportions_2indep

        low, high = confint_proportions_2indep(c_t, n_t, c_h, n_h, method="newcomb")
        diff = c_t / n_t - c_h / n_h
        out["uplift"] = {
            "difference": diff,
            "ci95": [float(low), float(high)],
            "significant": not (low <= 0 <= high) and not math.isnan(low),
        }
    return out


def journey_stats(store: Store, ref: str) -> dict[str, Any]:
    journey = JourneyService(store).get(ref)
    jid = journey["journey_id"]
    with store.session() as s:
        totals = s.fetch_dicts(
            "SELECT count(*) AS entered, count(*) FILTER (WHERE status = 'active') AS in_progress, "
            "count(*) FILTER (WHERE holdout) AS holdout, "
            "count(*) FILTER (WHERE goal_at IS NOT NULL) AS converted "
            "FROM journey_runs WHERE journey_id = ?",
            [jid],
            step="journeys.stats_totals",
        )[0]
        exits = dict(
            s.fetchall(
                "SELECT exit_reason, count(*) FROM journey_runs WHERE journey_id = ? "
                "AND status = 'done' GROUP BY ALL ORDER BY 2 DESC",
                [jid],
                step="journeys.stats_exits",
            )
        )
        nodes: dict[str, dict[str, Any]] = {}
        for node_id, outcome, people, visits in s.fetchall(
            "SELECT node_id, outcome, count(DISTINCT run_id), count(*) FROM journey_steps "
            "WHERE journey_id = ? GROUP BY ALL ORDER BY 1, 2",
            [jid],
            step="journeys.stats_nodes",
        ):
            entry = nodes.setdefault(str(node_id), {"outcomes": {}, "visits": 0})
            entry["outcomes"][str(outcome)] = int(people)
            entry["visits"] += int(visits)
        for node_id, waiting in s.fetchall(
            "SELECT node_id, count(*) FROM journey_runs WHERE journey_id = ? "
            "AND status = 'active' GROUP BY ALL",
            [jid],
            step="journeys.stats_here",
        ):
            nodes.setdefault(str(node_id), {"outcomes": {}, "visits": 0})["now_here"] = int(waiting)
        messages: dict[str, dict[str, int]] = {}
        for channel, status, n in s.fetchall(
            "SELECT channel, status, count(*) FROM messages WHERE journey_id = ? GROUP BY ALL",
            [jid],
            step="journeys.stats_messages",
        ):
            messages.setdefault(str(channel), {})[str(status)] = int(n)
        engaged = dict(
            s.fetchall(
                "SELECT e.status, count(DISTINCT e.message_id) FROM message_events e "
                "JOIN messages m USING (message_id) WHERE m.journey_id = ? GROUP BY ALL",
                [jid],
                step="journeys.stats_engaged",
            )
        )
        stages = [
            {"stage": str(stage), "people": int(n), "converted": int(c)}
            for stage, n, c in s.fetchall(
                "SELECT st.stage, count(DISTINCT st.run_id), "
                "count(DISTINCT st.run_id) FILTER (WHERE r.goal_at IS NOT NULL) "
                "FROM journey_steps st JOIN journey_runs r USING (run_id) "
                "WHERE st.journey_id = ? AND st.stage IS NOT NULL GROUP BY ALL "
                "ORDER BY 2 DESC",
                [jid],
                step="journeys.stats_stages",
            )
        ]
        goal = _conversion(s, jid)
    return {
        "journey_id": jid,
        "name": journey["name"],
        "status": journey["status"],
        **{k: int(v) for k, v in totals.items()},
        "exits": {str(k): int(v) for k, v in exits.items()},
        "nodes": nodes,
        "messages": messages,
        "engagement": {str(k): int(v) for k, v in engaged.items()},
        "goal": goal,
        "stages": stages,
    }
