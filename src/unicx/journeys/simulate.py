"""Dry runs: a definition over a sampled (real profiles) or generated audience with a
simulated clock, through the same state machine the worker uses. Nothing is written or sent.

Events people may do during the journey are drawn from ``event_rates`` (probability that a
person does the event at some point within the horizon, at a uniform time), so waits for an
event, exit events and goals can be exercised; conditions on traits and segments are evaluated
for real on sampled profiles and drawn with ``condition_rate`` for generated ones.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.journeys import definition as jd
from unicx.journeys.conditions import ConditionEvaluator
from unicx.journeys.engine import Effects, Run, Stepper, exit_run, stable_fraction
from unicx.journeys.service import JourneyService
from unicx.journeys.validate import segment_id, validate
from unicx.store import Store

MAX_EVENTS = 2_000_000
EventName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Rate = Annotated[float, Field(ge=0, le=1)]


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] | None = Field(default=None, description="A definition, or:")
    journey: str | None = Field(default=None, max_length=200, description="a saved journey")
    audience: int = Field(default=1000, ge=1, le=100_000, description="People to simulate")
    generated: bool = Field(default=False, description="Made-up people instead of a sample")
    days: float = Field(default=30, gt=0, le=366, description="Simulated horizon")
    event_rates: dict[EventName, Rate] = Field(
        default_factory=dict,
        max_length=50,
        description="Event name → probability (0-1) that a person does it within the horizon",
    )
    condition_rate: float = Field(default=0.5, ge=0, le=1)
    seed: int = Field(default=7, ge=0, le=2**63 - 1)


def _audience(store: Store, defn: jd.JourneyDefinition, req: SimulationRequest) -> list[str]:
    if req.generated:
        return [f"sim-{i:06d}" for i in range(req.audience)]
    with store.session() as s:
        sid = (
            segment_id(s, defn.entry.segment) if not isinstance(defn.entry, jd.EventEntry) else None
        )
        sql = (
            "SELECT profile_id FROM segment_members WHERE segment_id = $sid"
            if sid
            else "SELECT profile_id FROM profiles"
        )
        rows = s.fetchall(
            f"SELECT profile_id FROM ({sql}) USING SAMPLE {req.audience} ROWS",
            {"sid": sid} if sid else None,
            step="journeys.sim_sample",
        )
    return [str(r[0]) for r in rows]


def simulate(
    store: Store, settings: Settings, req: SimulationRequest, *, now: datetime
) -> dict[str, Any]:
    if (req.definition is None) == (req.journey is None):
        message = "give exactly one of 'definition' or 'journey'"
        raise ValidationError(message, issues=[FieldIssue("definition", "one_of", message)])
    raw = req.definition
    if raw is None:
        assert req.journey is not None
        raw = JourneyService(store).get(req.journey)["definition"]
    with store.session() as s:
        defn = validate(s, raw, now=now)
    if req.audience * sum(req.event_rates.values()) > MAX_EVENTS:
        raise _too_many_events()  # before drawing them: the expected count is already too many
    people = _audience(store, defn, req)
    rng = random.Random(req.seed)
    end = now + timedelta(days=req.days)
    horizon = (end - now).total_seconds()
    events: list[tuple[datetime, str, str]] = []  # (time, profile, event)
    for person in people:
        for name, rate in req.event_rates.items():
            if rng.random() < rate:
                events.append((now + timedelta(seconds=rng.uniform(0, horizon)), person, name))
        if len(events) > MAX_EVENTS:
            raise _too_many_events()
    heapq.heapify(events)
    done: dict[str, list[tuple[str, datetime]]] = defaultdict(list)

    def condition(journey_id: str, version: int, node_id: str, runs: list[Run]) -> set[str]:
        node = defn.nodes[node_id]
        assert isinstance(node, jd.ConditionNode)
        if node.event_since_entry is not None:
            wanted = node.event_since_entry.event
            return {
                r.run_id
                for r in runs
                if any(e == wanted and t >= r.entered_at for e, t in done[r.profile_id])
            }
        if req.generated:
            return {
                r.run_id
                for r in runs
                if stable_fraction(node_id, r.profile_id) < req.condition_rate
            }
        with store.session() as s:
            evaluator = ConditionEvaluator(s, lambda _j, _v: defn)
            evaluator.now = now
            return evaluator(journey_id, version, node_id, runs)

    stepper = Stepper(lambda _j, _v: defn, timezone=settings.timezone, condition=condition)
    runs = []
    for person in people:
        run = Run(f"sim-{person}", "simulation", 1, person, defn.start, "enter", "active", now, now)
        if stable_fraction("simulation", "holdout", person) * 100 < defn.holdout_percent:
            exit_run(run, now, "holdout")
            run.holdout = True
        runs.append(run)
    by_person = {r.profile_id: r for r in runs}
    totals = Effects()
    queue = _DueQueue(runs)
    clock = now
    while clock <= end:
        due = queue.pop_due(clock)
        if due:
            effects = stepper.advance(due, clock)
            totals.steps += effects.steps
            totals.messages += effects.messages
            queue.push(due)
        next_due = queue.next_due()
        next_event = events[0][0] if events else None
        candidates = [t for t in (next_due, next_event) if t is not None]
        if not candidates:
            break
        clock = max(clock, min(candidates))
        while events and events[0][0] <= clock:
            at, person, name = heapq.heappop(events)
            done[person].append((name, at))
            _react(by_person[person], defn, name, at, totals)
            queue.push([by_person[person]])
    reached: dict[str, Counter[str]] = defaultdict(Counter)
    for row in totals.steps:
        reached[row[4]][row[7]] += 1
    exits = Counter(r.exit_reason for r in runs if r.status == "done")
    return {
        "people": len(people),
        "days": req.days,
        "nodes": {n: {"reached": sum(c.values()), "outcomes": dict(c)} for n, c in reached.items()},
        "exits": dict(exits),
        "in_progress": sum(r.status == "active" for r in runs),
        "messages": dict(Counter(m["channel"] for m in totals.messages)),
        "converted": sum(
            1
            for r in runs
            if not r.holdout
            and defn.goal is not None
            and any(
                e == defn.goal.event
                and r.entered_at <= t <= r.entered_at + timedelta(seconds=defn.goal.within.seconds)
                for e, t in done[r.profile_id]
            )
        ),
    }


def _too_many_events() -> ValidationError:
    message = f"the simulation would draw over {MAX_EVENTS:,} events: lower audience or rates"
    return ValidationError(message, issues=[FieldIssue("event_rates", "too_many", message)])


class _DueQueue:
    """Active runs by due time. Scanning every run at every simulated instant made a large
    audience quadratic (hours for 100,000 people); entries go stale when a run moves or exits
    and are skipped when they surface."""

    def __init__(self, runs: list[Run]) -> None:
        self._heap: list[tuple[datetime, int, Run]] = []
        self._seq = 0
        self.push(runs)

    def push(self, runs: list[Run]) -> None:
        for run in runs:
            if run.status == "active" and run.due_at is not None:
                self._seq += 1
                heapq.heappush(self._heap, (run.due_at, self._seq, run))

    @staticmethod
    def _live(entry: tuple[datetime, int, Run]) -> bool:
        return entry[2].status == "active" and entry[2].due_at == entry[0]

    def pop_due(self, clock: datetime) -> list[Run]:
        due: dict[str, Run] = {}
        while self._heap and self._heap[0][0] <= clock:
            entry = heapq.heappop(self._heap)
            if self._live(entry):
                due.setdefault(entry[2].run_id, entry[2])
        return list(due.values())

    def next_due(self) -> datetime | None:
        while self._heap and not self._live(self._heap[0]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None


def _react(run: Run, defn: jd.JourneyDefinition, name: str, at: datetime, effects: Effects) -> None:
    if run.status != "active":
        return
    if any(m.event == name for m in defn.exit_when):
        exit_run(run, at, f"exit_event:{name}")
        return
    node = defn.nodes.get(run.node_id)
    if (
        isinstance(node, jd.WaitNode)
        and node.event is not None
        and node.event.event == name
        and run.phase == "waiting"
        and run.wait_since is not None
        and at >= run.wait_since
    ):
        effects.steps.append(
            (run.run_id, run.journey_id, 1, run.profile_id, run.node_id, node.stage, at, "event")
        )
        run.node_id, run.phase, run.due_at, run.wait_since = node.next, "enter", at, None
        run.steps += 1
