"""Dry runs: a definition over given profiles, a sample of real ones or a generated audience,
with a simulated clock, through the same state machine the worker uses. Nothing is written or
sent.

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

from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.journeys import definition as jd
from unicx.journeys.conditions import ConditionEvaluator
from unicx.journeys.engine import Effects, Run, Stepper, StepRow, exit_run, stable_fraction
from unicx.journeys.models import SimulatedNode, SimulationRequest, SimulationResult
from unicx.journeys.service import JourneyService
from unicx.journeys.validate import segment_id, validate
from unicx.store import Store

__all__ = ["MAX_EVENTS", "SimulationRequest", "SimulationResult", "simulate"]

MAX_EVENTS = 2_000_000
Event = tuple[datetime, str, str]  # (time, profile, event name): heap order is time first


def _audience(store: Store, defn: jd.JourneyDefinition, req: SimulationRequest) -> list[str]:
    if req.profiles:
        return list(dict.fromkeys(req.profiles))
    if req.generated:
        return [f"sim-{i:06d}" for i in range(req.audience)]
    with store.session() as s:
        sid = (
            segment_id(s, defn.entry.segment) if not isinstance(defn.entry, jd.EventEntry) else None
        )
        rows = s.fetchall(
            audience_sample_sql(of_segment=bool(sid), size=req.audience),
            {"sid": sid} if sid else None,
            step="journeys.sim_sample",
        )
    return [str(r[0]) for r in rows]


def audience_sample_sql(*, of_segment: bool, size: int) -> str:
    """``size`` random profiles: of the entry segment (``$sid``) or of the whole workspace."""
    sql = (
        "SELECT profile_id FROM segment_members WHERE segment_id = $sid"
        if of_segment
        else "SELECT profile_id FROM profiles"
    )
    return f"SELECT profile_id FROM ({sql}) USING SAMPLE {int(size)} ROWS"


def simulate(
    store: Store, settings: Settings, req: SimulationRequest, *, now: datetime
) -> SimulationResult:
    defn = _definition(store, req, now=now)
    if req.audience * sum(req.event_rates.values()) > MAX_EVENTS:
        raise _too_many_events()  # before drawing them: the expected count is already too many
    people = _audience(store, defn, req)
    end = now + timedelta(days=req.days)
    events = _draw_events(people, req, start=now, end=end)
    sim = _Simulation(store, defn, req, timezone=settings.timezone, now=now)
    sim.play(people, events, end=end)
    return sim.result(len(people))


def _definition(store: Store, req: SimulationRequest, *, now: datetime) -> jd.JourneyDefinition:
    if req.profiles and req.generated:
        message = "give 'profiles' or 'generated', not both"
        raise ValidationError(message, issues=[FieldIssue("profiles", "one_of", message)])
    if (req.definition is None) == (req.journey is None):
        message = "give exactly one of 'definition' or 'journey'"
        raise ValidationError(message, issues=[FieldIssue("definition", "one_of", message)])
    raw = req.definition
    if raw is None:
        assert req.journey is not None
        raw = JourneyService(store).get(req.journey).definition
    with store.session() as s:
        return validate(s, raw, now=now)


def _draw_events(
    people: list[str], req: SimulationRequest, *, start: datetime, end: datetime
) -> list[Event]:
    """The events people do within the horizon, as a heap (earliest first)."""
    rng = random.Random(req.seed)
    horizon = (end - start).total_seconds()
    events: list[Event] = []
    for person in people:
        for name, rate in req.event_rates.items():
            if rng.random() < rate:
                events.append((start + timedelta(seconds=rng.uniform(0, horizon)), person, name))
        if len(events) > MAX_EVENTS:
            raise _too_many_events()
    heapq.heapify(events)
    return events


class _Simulation:
    """One dry run: the runs, what they did (steps, messages) and the events people did."""

    def __init__(
        self,
        store: Store,
        defn: jd.JourneyDefinition,
        req: SimulationRequest,
        *,
        timezone: str,
        now: datetime,
    ) -> None:
        self.store, self.defn, self.req, self.now = store, defn, req, now
        self.done: dict[str, list[tuple[str, datetime]]] = defaultdict(list)  # event, time
        self.stepper = Stepper(lambda _j, _v: defn, timezone=timezone, condition=self._condition)
        self.totals = Effects()
        self.runs: list[Run] = []

    def _condition(self, journey_id: str, version: int, node_id: str, runs: list[Run]) -> set[str]:
        node = self.defn.nodes[node_id]
        assert isinstance(node, jd.ConditionNode)
        if node.event_since_entry is not None:
            wanted = node.event_since_entry.event
            return {r.run_id for r in runs if self._did_since_entry(r, wanted)}
        if self.req.generated:
            rate = self.req.condition_rate
            return {r.run_id for r in runs if stable_fraction(node_id, r.profile_id) < rate}
        with self.store.session() as s:
            evaluator = ConditionEvaluator(s, lambda _j, _v: self.defn)
            evaluator.now = self.now
            return evaluator(journey_id, version, node_id, runs)

    def _did_since_entry(self, run: Run, wanted: str) -> bool:
        return any(e == wanted and t >= run.entered_at for e, t in self.done[run.profile_id])

    def _enter(self, people: list[str]) -> None:
        now = self.now
        for person in people:
            run = Run(
                f"sim-{person}",
                "simulation",
                1,
                person,
                self.defn.start,
                "enter",
                "active",
                now,
                now,
            )
            if stable_fraction("simulation", "holdout", person) * 100 < self.defn.holdout_percent:
                exit_run(run, now, "holdout")
                run.holdout = True
            self.runs.append(run)

    def play(self, people: list[str], events: list[Event], *, end: datetime) -> None:
        """Move the runs from due time to due time and event to event until ``end``."""
        self._enter(people)
        by_person = {r.profile_id: r for r in self.runs}
        queue = _DueQueue(self.runs)
        clock = self.now
        while clock <= end:
            self._advance(queue, clock)
            next_at = _earliest(queue.next_due(), events[0][0] if events else None)
            if next_at is None:
                break
            clock = max(clock, next_at)
            while events and events[0][0] <= clock:
                at, person, name = heapq.heappop(events)
                self.done[person].append((name, at))
                _react(by_person[person], self.defn, name, at, self.totals)
                queue.push([by_person[person]])

    def _advance(self, queue: _DueQueue, clock: datetime) -> None:
        due = queue.pop_due(clock)
        if due:
            effects = self.stepper.advance(due, clock)
            self.totals.steps += effects.steps
            self.totals.messages += effects.messages
            queue.push(due)

    def _converted(self, run: Run) -> bool:
        goal = self.defn.goal
        if run.holdout or goal is None:
            return False
        until = run.entered_at + timedelta(seconds=goal.within.seconds)
        return any(
            e == goal.event and run.entered_at <= t <= until for e, t in self.done[run.profile_id]
        )

    def result(self, people: int) -> SimulationResult:
        reached: dict[str, Counter[str]] = defaultdict(Counter)
        for step in self.totals.steps:
            reached[step.node_id][step.outcome] += 1
        return SimulationResult(
            people=people,
            days=self.req.days,
            nodes={
                n: SimulatedNode(reached=sum(c.values()), outcomes=dict(c))
                for n, c in reached.items()
            },
            exits=dict(Counter(str(r.exit_reason) for r in self.runs if r.status == "done")),
            in_progress=sum(r.status == "active" for r in self.runs),
            messages=dict(Counter(m["channel"] for m in self.totals.messages)),
            converted=sum(self._converted(r) for r in self.runs),
        )


def _earliest(*instants: datetime | None) -> datetime | None:
    return min((t for t in instants if t is not None), default=None)


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
            StepRow(
                run.run_id, run.journey_id, 1, run.profile_id, run.node_id, node.stage, at, "event"
            )
        )
        run.node_id, run.phase, run.due_at, run.wait_since = node.next, "enter", at, None
        run.steps += 1
