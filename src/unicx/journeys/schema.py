"""Tables of the journeys domain (part of migration 7).

- ``journeys``: one row per journey (status draft / published / paused / archived, the
  version new people enter).
- ``journey_versions``: every saved definition; people stay on the version they entered.
- ``journey_runs``: one row per person per entry: where they are (node, phase), when the
  scheduler must look at them next (``due_at``), how they left and whether they converted.
  A step is one transaction over a batch of runs, together with the messages it queues.
- ``journey_steps``: the node visits (for per-node analytics and the timeline).
- ``journey_cursors``: how far the worker has read the segment changes and the events.
- ``static_lists``: lists people are added to / removed from by journey actions.
"""

from __future__ import annotations

JOURNEYS_SQL = """
CREATE TABLE journeys (
    journey_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    latest_version INTEGER NOT NULL,
    published_version INTEGER,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE journey_versions (
    journey_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    definition JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    PRIMARY KEY (journey_id, version)
);
CREATE TABLE journey_runs (
    run_id VARCHAR PRIMARY KEY,
    journey_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    profile_id VARCHAR NOT NULL,
    node_id VARCHAR NOT NULL,
    phase VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    due_at TIMESTAMPTZ,
    wait_since TIMESTAMPTZ,
    entered_at TIMESTAMPTZ NOT NULL,
    exited_at TIMESTAMPTZ,
    exit_reason VARCHAR,
    exit_node VARCHAR,
    holdout BOOLEAN NOT NULL DEFAULT false,
    goal_until TIMESTAMPTZ,
    goal_at TIMESTAMPTZ,
    steps INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX journey_runs_profile ON journey_runs (profile_id);
CREATE TABLE journey_steps (
    run_id VARCHAR NOT NULL,
    journey_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    profile_id VARCHAR NOT NULL,
    node_id VARCHAR NOT NULL,
    stage VARCHAR,
    happened_at TIMESTAMPTZ NOT NULL,
    outcome VARCHAR NOT NULL
);
CREATE TABLE journey_cursors (
    name VARCHAR PRIMARY KEY,
    position VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE static_lists (
    list_name VARCHAR NOT NULL,
    profile_id VARCHAR NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (list_name, profile_id)
);
"""
