"""Profile traits (what people told us) and the derived-table refresher for all traits.

``profile_traits`` holds the latest value of each trait key per profile, from the ``traits`` of
identify calls and ``context.traits`` of any event. The latest by event timestamp wins; on a
tie an identify call beats context traits, then the later-stored event. A null value does not
erase a trait: SDKs resend cached trait objects with gaps, and erasure belongs to privacy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from unicx.config import Settings
from unicx.profiles.computed import refresh_computed
from unicx.profiles.downstream import chain
from unicx.profiles.refresh_scope import Scope, scope_for
from unicx.profiles.search import refresh_search
from unicx.store import Session, Store

PROFILE_TRAITS_SQL = """INSERT INTO profile_traits (profile_id, name, value, updated_at)
WITH sources AS (
  SELECT profile_id, timestamp, event_key, 1 AS priority, traits AS t
  FROM {scope} AND type = 'identify' AND json_type(traits) = 'OBJECT'
  UNION ALL
  SELECT profile_id, timestamp, event_key, 0 AS priority, context->'traits' AS t
  FROM {scope} AND json_type(context->'traits') = 'OBJECT'
),
pairs AS (
  SELECT profile_id, timestamp, event_key, priority,
         unnest(map_entries(CAST(t AS MAP(VARCHAR, JSON)))) AS kv
  FROM sources
),
latest AS (
  SELECT profile_id, kv.key AS name,
         arg_max({{'value': kv.value, 'at': timestamp}}, (timestamp, priority, event_key)) AS w
  FROM pairs WHERE kv.value IS NOT NULL AND kv.key <> ''
  GROUP BY profile_id, kv.key
)
SELECT profile_id, name, w.value, w.at FROM latest"""

StepHook = Callable[[str, float, int], None]


@dataclass
class RefreshReport:
    profiles: int | None
    trait_rows: int = 0
    computed_rows: int = 0
    custom_rows: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.trait_rows + self.computed_rows + self.custom_rows


def refresh_profile_traits(session: Session, scope: Scope) -> int:
    scope.clear(session, "profile_traits")
    row = session.fetchone(
        PROFILE_TRAITS_SQL.format(scope=scope.events), step="traits.profile_traits"
    )
    return int(row[0]) if row else 0


def run_refresh(
    session: Session,
    settings: Settings,
    profile_ids: list[str] | None,
    *,
    now: datetime | None = None,
    on_step: StepHook | None = None,
) -> RefreshReport:
    """Recompute both trait tables for ``profile_ids`` (None: all) in the caller's transaction."""
    report = RefreshReport(profiles=None if profile_ids is None else len(set(profile_ids)))
    if profile_ids is not None and not profile_ids:
        return report
    started = time.perf_counter()
    with scope_for(session, profile_ids) as scope:
        _step(report, "select events", started, 0, on_step)
        mark = time.perf_counter()
        report.trait_rows = refresh_profile_traits(session, scope)
        _step(report, "profile traits", mark, report.trait_rows, on_step)
        mark = time.perf_counter()
        report.computed_rows, report.custom_rows = refresh_computed(
            session, settings, scope, now=now
        )
        _step(report, "computed traits", mark, report.computed_rows + report.custom_rows, on_step)
        mark = time.perf_counter()
        # The search rows show traits and computed traits: after both.
        _step(report, "search", mark, refresh_search(session, scope), on_step)
    report.seconds = time.perf_counter() - started
    return report


def _step(report: RefreshReport, name: str, mark: float, rows: int, hook: StepHook | None) -> None:
    report.steps[name] = time.perf_counter() - mark
    if hook is not None:
        hook(name, report.steps[name], rows)


def refresh_traits(
    session: Session,
    settings: Settings,
    profile_ids: list[str] | None,
    *,
    now: datetime | None = None,
) -> int:
    """The derived-table refresher: recompute profile and computed traits of ``profile_ids``
    (None: every profile) from event_profiles; returns the rows written."""
    return run_refresh(session, settings, profile_ids, now=now).rows


def refresh_workspace(
    store: Store,
    settings: Settings,
    *,
    now: datetime | None = None,
    on_step: StepHook | None = None,
) -> RefreshReport:
    """Full refresh (``unicx traits refresh``, POST /v1/traits/refresh): one transaction, taking
    the profile lock so identity passes wait rather than conflict."""
    refresh_segments = chain().segments  # segments sit above profiles (profiles/downstream.py)
    with store.profile_lock, store.session() as s, s.transaction():
        report = run_refresh(s, settings, None, now=now, on_step=on_step)
        # Traits of people with no new events changed too (days since last order, RFM): the
        # segments built on them follow in the same transaction.
        mark = time.perf_counter()
        changes = refresh_segments(s, settings, None, now=now)
        _step(report, "segments", mark, changes, on_step)
        row = s.fetchone(
            "SELECT count(DISTINCT profile_id) FROM computed_traits", step="traits.count"
        )
    report.profiles = int(row[0]) if row else 0
    return report
