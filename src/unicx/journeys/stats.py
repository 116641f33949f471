"""How many journeys run and how many people are in them, for the home page."""

from __future__ import annotations

from pydantic import BaseModel, Field

from unicx.store import Store

COUNTS_SQL = """
SELECT count(*) FILTER (WHERE status = 'published') AS active,
       count(*) FILTER (WHERE status = 'paused') AS paused,
       count(*) FILTER (WHERE status = 'draft') AS draft,
       (SELECT count(*) FROM journey_runs WHERE status = 'active') AS people_in_progress
FROM journeys"""


class JourneyCounts(BaseModel):
    active: int = Field(description="Published journeys (people enter and move).")
    paused: int
    draft: int
    people_in_progress: int = Field(description="Journey runs still under way.")


def journey_counts(store: Store) -> JourneyCounts:
    with store.session() as s:
        row = s.fetch_dicts(COUNTS_SQL, step="journeys.counts")[0]
    return JourneyCounts(**row)
