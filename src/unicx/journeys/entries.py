"""Putting people into journeys: the re-entry policy, the holdout draw and the new runs.

A run's id is derived from (journey, person, what made them enter), so reading the same
segment change, event or schedule occurrence twice creates the run once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from unicx.journeys import definition as jd
from unicx.journeys.engine import Run, stable_fraction
from unicx.journeys.runs import insert_runs
from unicx.store import Session


@dataclass(frozen=True)
class Live:
    """A journey people can enter now (published) with the definition they enter on."""

    journey_id: str
    version: int
    definition: jd.JourneyDefinition


def live_journeys(
    session: Session, definitions: Callable[[str, int], jd.JourneyDefinition]
) -> list[Live]:
    rows = session.fetchall(
        "SELECT journey_id, published_version FROM journeys WHERE status = 'published' "
        "ORDER BY journey_id",
        step="journeys.live",
    )
    return [Live(str(j), int(v), definitions(str(j), int(v))) for j, v in rows]


def run_id_for(journey_id: str, profile_id: str, key: str) -> str:
    return "run_" + uuid.uuid5(uuid.NAMESPACE_OID, f"{journey_id}\x1f{profile_id}\x1f{key}").hex


def enter(
    session: Session,
    journey: Live,
    candidates: Iterable[tuple[str, str]],
    *,
    now: datetime,
) -> list[Run]:
    """Create runs for ``(profile_id, entry_key)`` pairs the re-entry policy lets in."""
    wanted: dict[str, str] = {}
    for profile_id, key in candidates:
        wanted.setdefault(profile_id, key)  # one entry per person per pass
    if not wanted:
        return []
    history = {
        str(p): (bool(active), last)
        for p, active, last in session.fetchall(
            "SELECT profile_id, bool_or(status = 'active'), max(entered_at) FROM journey_runs "
            "WHERE journey_id = $j AND profile_id IN (SELECT unnest($ids::VARCHAR[])) "
            "GROUP BY profile_id",
            {"j": journey.journey_id, "ids": list(wanted)},
            step="journeys.entry_history",
        )
    }
    policy = journey.definition.reentry
    defn = journey.definition
    runs = []
    for profile_id, key in wanted.items():
        active, last = history.get(profile_id, (False, None))
        if active or (last is not None and not _may_reenter(policy, last, now)):
            continue
        run = Run(
            run_id=run_id_for(journey.journey_id, profile_id, key),
            journey_id=journey.journey_id,
            version=journey.version,
            profile_id=profile_id,
            node_id=defn.start,
            phase="enter",
            status="active",
            due_at=now,
            entered_at=now,
        )
        if defn.goal is not None:
            run.goal_until = now + timedelta(seconds=defn.goal.within.seconds)
        if stable_fraction(journey.journey_id, "holdout", profile_id) * 100 < defn.holdout_percent:
            # The holdout enters (so conversion can be compared) but is sent nothing.
            run.holdout, run.status, run.exited_at = True, "done", now
            run.exit_reason, run.exit_node, run.due_at = "holdout", defn.start, None
        runs.append(run)
    insert_runs(session, runs, now)
    return runs


def _may_reenter(policy: jd.Reentry, last: datetime, now: datetime) -> bool:
    if policy.policy == "always":
        return True
    if policy.policy == "cooldown":
        assert policy.cooldown is not None
        return now - last >= timedelta(seconds=policy.cooldown.seconds)
    return False


def last_occurrence(entry: jd.ScheduleEntry, now: datetime, tz: str) -> datetime:
    """The most recent scheduled instant at or before ``now`` (local time ``tz``)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    days = {jd.WEEKDAYS.index(w) for w in entry.weekdays}
    for back in range(8):
        day = (local - timedelta(days=back)).date()
        at = datetime.combine(day, entry.at, tzinfo=zone)
        if at <= local and day.weekday() in days:
            return at.astimezone(now.tzinfo)
    raise AssertionError("a weekday set always matches within 8 days")
