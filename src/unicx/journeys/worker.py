"""The journey worker's tick, run every ``journey_tick_ms`` by the runtime: it lets people in
(segment changes, schedules, events), reacts to events (exits, waits for an event, goals) and
advances every run that is due — each part one transaction together with the cursor it moves,
so a crash at any moment repeats at most the uncommitted part and never a committed step or
message."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from unicx.clock import Clock
from unicx.config import Settings
from unicx.journeys import definition as jd
from unicx.journeys.conditions import ConditionEvaluator, event_matches, parse_properties
from unicx.journeys.engine import Effects, Run, Stepper, StepRow, exit_run
from unicx.journeys.entries import Live, enter, last_occurrence, live_journeys
from unicx.journeys.runs import load_due, update_runs, write_effects
from unicx.journeys.validate import segment_id
from unicx.store import Session, Store

log = logging.getLogger(__name__)
EVENTS_CURSOR = "events"
SEGMENTS_CURSOR = "segment_changes"
# Events are stamped received_at just before their flush commits: read this far behind.
COMMIT_LAG = timedelta(seconds=1)
UNRESOLVED_WAIT = timedelta(seconds=60)
MAX_TICK_S = 2.0


class Definitions:
    """Parsed definitions per (journey, version): versions never change once saved."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[tuple[str, int], jd.JourneyDefinition] = {}
        self._lock = threading.Lock()

    def __call__(self, journey_id: str, version: int) -> jd.JourneyDefinition:
        key = (journey_id, version)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._store.session() as s:
            row = s.fetchone(
                "SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?",
                [journey_id, version],
                step="journeys.definition",
            )
        if row is None:
            raise KeyError(f"journey {journey_id} has no version {version}")
        defn = jd.parse_definition(json.loads(str(row[0])))
        with self._lock:
            self._cache[key] = defn
        return defn


@dataclass
class TickResult:
    entered: int = 0
    steps: int = 0
    runs_advanced: int = 0
    messages: int = 0
    events: int = 0
    lags_s: list[float] = field(default_factory=list)


def read_cursor(session: Session, name: str) -> str | None:
    row = session.fetchone(
        "SELECT position FROM journey_cursors WHERE name = ?", [name], step="journeys.cursor"
    )
    return str(row[0]) if row else None


def write_cursor(session: Session, name: str, position: str, now: datetime) -> None:
    session.execute(
        "INSERT INTO journey_cursors VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "position = excluded.position, updated_at = excluded.updated_at",
        [name, position, now],
        step="journeys.cursor_write",
    )


class JourneyEngine:
    """Everything one tick does, callable directly (CLI, tests, benchmarks) or by the runtime's
    journeys worker (unicx/runtime/chain.py)."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.definitions = Definitions(store)
        self.crash_hook: Any = None  # tests: called between committed parts
        # Clear while due steps are being run: the sending threads wait for it (runtime.py).
        self.steps_idle = threading.Event()
        self.steps_idle.set()
        self._backlog = False
        self.lag_s = 0.0  # how late the most overdue step of the last tick ran

    def tick(self, *, now: datetime | None = None, has_updater: bool = True) -> TickResult:
        now = now or self.clock.now()
        result = TickResult()
        if self._backlog:  # steps were due last time: more are likely now, all of it is theirs
            self.steps_idle.clear()
        try:
            with self.store.session() as s:
                live = live_journeys(s, self.definitions)
                result.entered += self._segment_entries(s, live, now)
                result.entered += self._schedule_entries(s, live, now)
                self._events(s, live, now, result, has_updater=has_updater)
                started = time.monotonic()
                self.steps_idle.clear()
                while time.monotonic() - started < MAX_TICK_S:
                    if self._due_batch(s, now, result) < self.settings.journey_batch:
                        break
        finally:
            self.steps_idle.set()
        self._backlog = result.runs_advanced > 0
        self.lag_s = max(result.lags_s, default=0.0)
        return result

    # -- entries ------------------------------------------------------------------------
    def _segment_entries(self, s: Session, live: list[Live], now: datetime) -> int:
        by_segment: dict[str, list[Live]] = defaultdict(list)
        for j in live:
            if isinstance(j.definition.entry, jd.SegmentEntry):
                sid = segment_id(s, j.definition.entry.segment)
                if sid is not None:
                    by_segment[sid].append(j)
        entered = 0
        with s.transaction():
            cursor = int(read_cursor(s, SEGMENTS_CURSOR) or -1)
            top = s.fetchone("SELECT max(change_id) FROM segment_changes", step="journeys.sc_max")
            high = int(top[0]) if top and top[0] is not None else cursor
            if by_segment and high > cursor:
                rows = s.fetchall(
                    "SELECT segment_id, profile_id, change_id FROM segment_changes "
                    "WHERE change_id > $lo AND change_id <= $hi AND change = 'entered' "
                    "AND segment_id IN (SELECT unnest($ids::VARCHAR[])) ORDER BY change_id",
                    {"lo": cursor, "hi": high, "ids": list(by_segment)},
                    step="journeys.segment_entries",
                )
                for sid, journeys in by_segment.items():
                    pairs = [(str(p), f"segment:{c}") for seg, p, c in rows if seg == sid]
                    for j in journeys:
                        entered += len(enter(s, j, pairs, now=now))
            if high > cursor:
                write_cursor(s, SEGMENTS_CURSOR, str(high), now)
        return entered

    def _schedule_entries(self, s: Session, live: list[Live], now: datetime) -> int:
        entered = 0
        for j in live:
            entry = j.definition.entry
            if not isinstance(entry, jd.ScheduleEntry):
                continue
            occurrence = last_occurrence(entry, now, self.settings.timezone)
            name = f"schedule:{j.journey_id}"
            with s.transaction():
                last = read_cursor(s, name)
                if last is not None and datetime.fromisoformat(last) < occurrence:
                    sid = segment_id(s, entry.segment)
                    members = s.fetchall(
                        "SELECT profile_id FROM segment_members WHERE segment_id = ?",
                        [sid],
                        step="journeys.schedule_members",
                    )
                    key = f"schedule:{occurrence.isoformat()}"
                    entered += len(enter(s, j, [(str(m[0]), key) for m in members], now=now))
                if last is None or datetime.fromisoformat(last) < occurrence:
                    # First look after publishing: start counting from here (no back-fill).
                    write_cursor(s, name, occurrence.isoformat(), now)
        return entered

    # -- events ---------------------------------------------------------------------------
    def _events(
        self, s: Session, live: list[Live], now: datetime, result: TickResult, *, has_updater: bool
    ) -> None:
        del has_updater
        real = datetime.now(UTC)
        upper = real - COMMIT_LAG
        with s.transaction():
            raw = read_cursor(s, EVENTS_CURSOR)
            lower = datetime.fromisoformat(raw) if raw else upper - timedelta(minutes=5)
            if upper <= lower:
                return
            names = self._event_names(s, live)
            if not names:
                # No journey waits for any event: skip the window (the query for unresolved
                # events scans every event since the cursor, each tick, under ingest load).
                write_cursor(s, EVENTS_CURSOR, upper.isoformat(), now)
                return
            # Stop before events the profile updater has not resolved yet (it runs right after
            # each flush); they are read on a later tick. One never resolved stops it only 60 s.
            pending = s.fetchone(
                "SELECT min(received_at) FROM event_profiles WHERE received_at > $lo "
                "AND received_at <= $hi AND profile_id IS NULL AND received_at > $recent",
                {"lo": lower, "hi": upper, "recent": real - UNRESOLVED_WAIT},
                step="journeys.unresolved",
            )
            if pending and pending[0] is not None:
                upper = pending[0] - timedelta(microseconds=1)
                if upper <= lower:
                    return
            rows = s.fetchall(
                "SELECT profile_id, event, timestamp, properties, event_key "
                "FROM event_profiles "
                "WHERE type = 'track' AND received_at > $lo AND received_at <= $hi "
                "AND profile_id IS NOT NULL AND event IN (SELECT unnest($names::VARCHAR[])) "
                "ORDER BY timestamp",
                {"lo": lower, "hi": upper, "names": sorted(names)},
                step="journeys.events_window",
            )
            events = [
                (str(p), str(e), ts, parse_properties(pr), str(k)) for p, e, ts, pr, k in rows
            ]
            result.events += len(events)
            for j in live:
                entry = j.definition.entry
                if isinstance(entry, jd.EventEntry):
                    pairs = [
                        (p, f"event:{k}")
                        for p, e, _, pr, k in events
                        if event_matches(entry, e, pr)
                    ]
                    result.entered += len(enter(s, j, pairs, now=now))
            if events:
                self._react(s, events, now, result)
            write_cursor(s, EVENTS_CURSOR, upper.isoformat(), now)

    def _event_names(self, s: Session, live: list[Live]) -> set[str]:
        names: set[str] = set()
        rows = s.fetchall(
            "SELECT DISTINCT journey_id, version FROM journey_runs WHERE status = 'active' "
            "OR goal_at IS NULL AND goal_until IS NOT NULL",
            step="journeys.versions_in_use",
        )
        defs = [self.definitions(str(j), int(v)) for j, v in rows] + [j.definition for j in live]
        for d in defs:
            if isinstance(d.entry, jd.EventEntry):
                names.add(d.entry.event)
            names.update(m.event for m in d.exit_when)
            if d.goal is not None:
                names.add(d.goal.event)
            names.update(
                n.event.event
                for n in d.nodes.values()
                if isinstance(n, jd.WaitNode) and n.event is not None
            )
        return names

    def _react(self, s: Session, events: list[Any], now: datetime, result: TickResult) -> None:
        """Goals, exit events and waits for an event, for the runs of the people concerned."""
        by_profile: dict[str, list[Any]] = defaultdict(list)
        for ev in events:
            by_profile[ev[0]].append(ev)
        earliest = min(ev[2] for ev in events)
        runs = [
            Run(*row)
            for row in s.fetchall(
                "SELECT run_id, journey_id, version, profile_id, node_id, phase, status, due_at, "
                "entered_at, wait_since, exited_at, exit_reason, exit_node, holdout, goal_until, "
                "goal_at, steps FROM journey_runs "
                "WHERE profile_id IN (SELECT unnest($ids::VARCHAR[])) AND (status = 'active' "
                "OR (goal_at IS NULL AND goal_until >= $earliest))",
                {"ids": list(by_profile), "earliest": earliest},
                step="journeys.runs_for_events",
            )
        ]
        effects, changed, exited = Effects(), [], []
        for run in runs:
            defn = self.definitions(run.journey_id, run.version)
            if self._apply_events(run, defn, by_profile[run.profile_id], now, effects):
                changed.append(run)
                if run.status == "done":
                    exited.append(run.run_id)
        if changed:
            update_runs(s, changed, now)
            write_effects(s, self.settings, effects, now)
        if exited:
            # Stop what the run queued but did not send yet ("stop as soon as they buy").
            s.execute(
                "UPDATE messages SET status = 'cancelled', reason = 'run exited', "
                "updated_at = $now "
                "WHERE status = 'queued' AND run_id IN (SELECT unnest($ids::VARCHAR[]))",
                {"now": now, "ids": exited},
                step="journeys.cancel_messages",
            )

    @staticmethod
    def _apply_events(
        run: Run, defn: jd.JourneyDefinition, events: list[Any], now: datetime, effects: Effects
    ) -> bool:
        changed = False
        for _, name, ts, props, _ in events:
            if ts < run.entered_at:
                continue
            goal = defn.goal
            if (
                goal is not None
                and run.goal_at is None
                and run.goal_until is not None
                and ts <= run.goal_until
                and event_matches(goal, name, props)
            ):
                run.goal_at, changed = ts, True
            if run.status != "active":
                continue
            if any(event_matches(m, name, props) for m in defn.exit_when):
                exit_run(run, now, f"exit_event:{name}")
                effects.steps.append(
                    StepRow(
                        run.run_id,
                        run.journey_id,
                        run.version,
                        run.profile_id,
                        run.node_id,
                        None,
                        now,
                        f"exit_event:{name}",
                    )
                )
                changed = True
                continue
            node = defn.nodes.get(run.node_id)
            if (
                isinstance(node, jd.WaitNode)
                and node.event is not None
                and run.phase == "waiting"
                and run.wait_since is not None
                and ts >= run.wait_since
                and event_matches(node.event, name, props)
            ):
                effects.steps.append(
                    StepRow(
                        run.run_id,
                        run.journey_id,
                        run.version,
                        run.profile_id,
                        run.node_id,
                        node.stage,
                        now,
                        "event",
                    )
                )
                run.node_id, run.phase, run.due_at, run.wait_since = node.next, "enter", now, None
                run.steps += 1
                changed = True
        return changed

    # -- due steps ----------------------------------------------------------------------
    def _due_batch(self, s: Session, now: datetime, result: TickResult) -> int:
        with s.transaction():
            runs = load_due(s, now, self.settings.journey_batch)
            if not runs:
                return 0
            result.lags_s.extend((now - r.due_at).total_seconds() for r in runs if r.due_at)
            evaluator = ConditionEvaluator(s, self.definitions)
            evaluator.now = now
            stepper = Stepper(
                self.definitions, timezone=self.settings.timezone, condition=evaluator
            )
            effects = stepper.advance(runs, now)
            update_runs(s, runs, now)
            write_effects(s, self.settings, effects, now)
            result.entered += self._triggers(s, effects, now)
            result.steps += len(effects.steps)
            result.messages += len(effects.messages)
            result.runs_advanced += len(runs)
        if self.crash_hook is not None:
            self.crash_hook("after_step_batch")
        return len(runs)

    def _triggers(self, s: Session, effects: Effects, now: datetime) -> int:
        if not effects.triggers:
            return 0
        live = {j.journey_id: j for j in live_journeys(s, self.definitions)}
        by_name = {j.definition.name.lower(): j for j in live.values()}
        entered = 0
        for ref, profile_id, run_id in effects.triggers:
            target = live.get(ref) or by_name.get(ref.lower())
            if target is not None:  # a paused or archived target lets nobody in
                entered += len(enter(s, target, [(profile_id, f"trigger:{run_id}")], now=now))
        return entered
