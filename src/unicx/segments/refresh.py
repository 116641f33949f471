"""Keeping membership current: after ingest passes, as time windows pass, and in full.

- Ingest: :func:`refresh_segments` is a derived-table refresher (profiles/derived.py), so every
  identity pass re-evaluates all segments for the profiles it touched, in its transaction.
- Time: a condition such as "ordered in the last 30 days" changes without any event. Each
  compiled segment lists its window edges; :class:`SegmentScheduler` periodically selects the
  profiles whose edge passed since the last check and re-evaluates them. Segments that depend
  on other profiles (rank thresholds, launch dates) are refreshed in full on a slower clock.
- Full: :func:`refresh_all` (``unicx segments refresh``, ``POST /v1/segments/refresh``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from unicx.config import Settings
from unicx.segments.compiler import used_params
from unicx.segments.membership import Delta, Live, apply_all
from unicx.segments.models import RefreshResult
from unicx.segments.registry import dependents, live_segments
from unicx.store import Session, Store


def _workspace(session: Session) -> str:
    return str(session.store.path)


def refresh_segments(
    session: Session,
    settings: Settings,
    profile_ids: list[str] | None,
    *,
    now: datetime | None = None,
) -> int:
    """The derived-table refresher: re-evaluate every segment for ``profile_ids`` (None: all).
    Returns the number of membership changes."""
    segments = live_segments(session, workspace=_workspace(session))
    reason = "refresh" if profile_ids is None else "ingest"
    deltas = apply_all(
        session,
        segments,
        profile_ids,
        now=now or datetime.now(UTC),
        reason=reason,
        timezone=settings.timezone,
    )
    return sum(x.entered + x.exited for x in deltas.values())


def refresh_all(
    store: Store,
    settings: Settings,
    *,
    segment_ids: list[str] | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Full re-evaluation of the given segments (and those referencing them), or all."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    with store.profile_lock, store.session() as s, s.transaction():
        segments = live_segments(s, workspace=_workspace(s))
        if segment_ids is not None:
            chosen = dependents(segments, set(segment_ids))
            segments = [x for x in segments if x.segment_id in chosen]
        deltas = apply_all(s, segments, None, now=now, reason="refresh", timezone=settings.timezone)
        _stamp(s, [x.segment_id for x in segments], now, "refreshed_at", "edges_checked_at")
    return _result(deltas, time.perf_counter() - started)


def _stamp(s: Session, ids: list[str], now: datetime, *columns: str) -> None:
    if not ids:
        return
    sets = ", ".join(f"{c} = $now" for c in columns)  # constant column names
    s.execute(
        f"UPDATE segments SET {sets} WHERE list_contains($ids, segment_id)",
        {"now": now, "ids": ids},
        step="segments.stamp",
    )


def _result(deltas: dict[str, Delta], seconds: float) -> RefreshResult:
    return RefreshResult(
        segments=len(deltas),
        entered=sum(x.entered for x in deltas.values()),
        exited=sum(x.exited for x in deltas.values()),
        seconds=round(seconds, 4),
        per_segment={k: {"entered": v.entered, "exited": v.exited} for k, v in deltas.items()},
    )


def edge_candidates(session: Session, segments: list[Live], *, now: datetime) -> list[str]:
    """Profiles whose window edge in any segment passed since that segment's last check."""
    checked = dict(
        session.fetchall(
            "SELECT segment_id, coalesce(edges_checked_at, refreshed_at) FROM segments "
            "WHERE status = 'active'",
            step="segments.edges_checked",
        )
    )
    found: set[str] = set()
    for segment in segments:
        prev = checked.get(segment.segment_id)
        if prev is None:
            continue
        for edge in segment.compiled.edges:
            params = used_params(edge.sql, {**edge.params, "prev": prev, "now": now})
            found.update(
                str(r[0]) for r in session.fetchall(edge.sql, params, step="segments.edge")
            )
    return sorted(found)


def run_edges(store: Store, settings: Settings, *, now: datetime | None = None) -> RefreshResult:
    """Re-evaluate the profiles whose time-window edges passed (one scheduler tick)."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    with store.profile_lock, store.session() as s, s.transaction():
        segments = live_segments(s, workspace=_workspace(s))
        candidates = edge_candidates(s, segments, now=now)
        deltas = apply_all(
            s, segments, candidates, now=now, reason="schedule", timezone=settings.timezone
        )
        _stamp(s, [x.segment_id for x in segments if x.compiled.edges], now, "edges_checked_at")
    return _result(deltas, time.perf_counter() - started)


def run_global(store: Store, settings: Settings, *, now: datetime | None = None) -> RefreshResult:
    """Full refresh of the segments that depend on other profiles (and their dependents)."""
    with store.session() as s:
        segments = live_segments(s, workspace=_workspace(s))
    ids = [x.segment_id for x in segments if x.compiled.global_]
    if not ids:
        return _result({}, 0.0)
    return refresh_all(store, settings, segment_ids=ids, now=now)


class SegmentScheduler:
    """The server's clock for segments: :meth:`tick` (the runtime runs it every
    ``segments_edge_interval_s``) re-evaluates the profiles whose window edges passed, and every
    ``segments_global_interval_s`` also the rank/launch-dependent segments in full."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_global = time.monotonic()
        self.ticks = 0

    def tick(self) -> None:
        run_edges(self._store, self._settings, now=self._clock())
        if time.monotonic() - self._last_global >= self._settings.segments_global_interval_s:
            run_global(self._store, self._settings, now=self._clock())
            self._last_global = time.monotonic()
        self.ticks += 1
