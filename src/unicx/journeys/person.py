"""The journeys one person is in (Profile 360 in the dashboard): where they stand in each."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from unicx.store import Store

MAX_RUNS = 50  # a person in more journeys than this at once has a setup problem to show


class PersonRun(BaseModel):
    journey_id: str
    journey: str
    version: int
    node_id: str
    status: str
    entered_at: datetime
    due_at: datetime | None
    holdout: bool


def runs_of(store: Store, profile_id: str, *, active_only: bool = True) -> list[PersonRun]:
    """The person's journey runs (active ones by default), newest entry first."""
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT r.journey_id, j.name AS journey, r.version, r.node_id, r.status, "
            "r.entered_at, r.due_at, r.holdout FROM journey_runs r "
            "JOIN journeys j USING (journey_id) "
            "WHERE r.profile_id = ? AND (NOT ? OR r.status = 'active') "
            "ORDER BY r.entered_at DESC LIMIT ?",
            [profile_id, active_only, MAX_RUNS],
            step="journeys.person_runs",
        )
    return [PersonRun.model_validate(r) for r in rows]
