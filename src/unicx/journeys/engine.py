"""The journey state machine: moving a batch of runs through their nodes at one instant.

Pure logic over :class:`Run` objects: the caller loads the runs, gives the answers of the
conditions (evaluated in bulk, see :mod:`unicx.journeys.conditions`) and writes back the runs
and the :class:`Effects` in one transaction. Simulation drives the same code with a simulated
clock and no store. A run advances node by node until it reaches a wait or an exit; the
validator guarantees every cycle has a wait, so a batch always finishes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from unicx.journeys import definition as jd

# A run is never moved through more nodes than this in one batch (a second guard after the
# validator's cycle check).
MAX_HOPS = jd.MAX_NODES + 1
WEEKDAY_INDEX = {name: i for i, name in enumerate(jd.WEEKDAYS)}


@dataclass
class Run:
    run_id: str
    journey_id: str
    version: int
    profile_id: str
    node_id: str
    phase: str  # enter | waiting
    status: str  # active | done
    due_at: datetime | None
    entered_at: datetime
    wait_since: datetime | None = None
    exited_at: datetime | None = None
    exit_reason: str | None = None
    exit_node: str | None = None
    holdout: bool = False
    goal_until: datetime | None = None
    goal_at: datetime | None = None
    steps: int = 0


class StepRow(NamedTuple):
    """One row of ``journey_steps``: a run passed a node (columns in the table's order)."""

    run_id: str
    journey_id: str
    version: int
    profile_id: str
    node_id: str
    stage: str | None
    happened_at: datetime
    outcome: str


@dataclass
class Effects:
    """Everything a batch decided besides the runs' new state."""

    steps: list[StepRow] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    traits: list[tuple[str, str, Any]] = field(default_factory=list)
    lists: list[tuple[str, str, str]] = field(default_factory=list)  # list, profile, action
    triggers: list[tuple[str, str, str]] = field(default_factory=list)  # journey, profile, run


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by ``parts``: the same person always gets the same branch."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def next_local_time(now: datetime, until: jd.LocalTime, tz: str) -> datetime:
    """The first instant after ``now`` that is ``until.at`` local time on one of its weekdays."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    days = {WEEKDAY_INDEX[w] for w in until.weekdays}
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        at = datetime.combine(day, until.at, tzinfo=zone)
        if at > local and day.weekday() in days:
            return at.astimezone(now.tzinfo)
    raise AssertionError("a weekday set always matches within 8 days")


def message_id(run: Run, node_id: str) -> str:
    """The idempotency key of the message a node sends: a replayed step queues the same id."""
    return f"{run.run_id}.{node_id}.{run.steps}"


class Stepper:
    """Advances runs; ``condition`` answers a condition node for a list of runs."""

    def __init__(
        self,
        definitions: Callable[[str, int], jd.JourneyDefinition],
        *,
        timezone: str,
        condition: Callable[[str, int, str, list[Run]], set[str]],
    ) -> None:
        self._defs = definitions
        self._tz = timezone
        self._condition = condition

    def advance(self, runs: list[Run], now: datetime) -> Effects:
        """Move each due run as far as it goes at ``now``."""
        effects = Effects()
        todo = [r for r in runs if r.status == "active"]
        for _ in range(MAX_HOPS):
            if not todo:
                break
            answers = self._answers(todo)
            todo = [r for r in todo if self._step(r, now, answers, effects)]
        for run in todo:  # cannot happen for a validated definition; never spin
            self._exit(run, now, "too_many_steps", effects)
        return effects

    def _answers(self, runs: list[Run]) -> set[str]:
        """Run ids whose condition node holds, evaluated per (journey, version, node)."""
        groups: dict[tuple[str, int, str], list[Run]] = {}
        for run in runs:
            node = self._defs(run.journey_id, run.version).nodes.get(run.node_id)
            if run.phase == "enter" and isinstance(node, jd.ConditionNode):
                groups.setdefault((run.journey_id, run.version, run.node_id), []).append(run)
        holds: set[str] = set()
        for (journey_id, version, node_id), group in groups.items():
            holds |= self._condition(journey_id, version, node_id, group)
        return holds

    def _step(self, run: Run, now: datetime, answers: set[str], effects: Effects) -> bool:
        """One node; True when the run moved on and should take the next one now."""
        defn = self._defs(run.journey_id, run.version)
        node = defn.nodes.get(run.node_id)
        if node is None:  # a migration left it on a node the version lacks
            self._exit(run, now, "node_missing", effects)
            return False
        if run.phase == "waiting":
            assert isinstance(node, jd.WaitNode)
            if node.event is not None:
                assert node.timeout_next is not None
                return self._goto(run, node.timeout_next, now, "timeout", effects, node)
            return self._goto(run, node.next, now, "waited", effects, node)
        if isinstance(node, jd.WaitNode):
            run.phase, run.wait_since = "waiting", now
            if node.for_ is not None:
                run.due_at = now + timedelta(seconds=node.for_.seconds)
            elif node.until is not None:
                run.due_at = next_local_time(now, node.until, self._tz)
            else:
                assert node.timeout is not None
                run.due_at = now + timedelta(seconds=node.timeout.seconds)
            self._record(run, node, now, "waiting", effects)
            return False
        if isinstance(node, jd.ExitNode):
            self._record(run, node, now, "exit", effects)
            self._exit(run, now, "completed", effects)
            return False
        if isinstance(node, jd.ConditionNode):
            yes = run.run_id in answers
            target = node.yes if yes else node.no
            return self._goto(run, target, now, "yes" if yes else "no", effects, node)
        if isinstance(node, jd.RandomNode):
            draw = stable_fraction(run.journey_id, run.node_id, run.profile_id) * 100
            for i, branch in enumerate(node.branches):
                draw -= branch.percent
                if draw < 0 or i == len(node.branches) - 1:
                    label = branch.name or f"branch {i + 1}"
                    return self._goto(run, branch.next, now, label, effects, node)
        return self._action(run, node, now, effects)

    def _action(self, run: Run, node: Any, now: datetime, effects: Effects) -> bool:
        if isinstance(node, jd.MessageNode | jd.WebhookNode):
            hook = node if isinstance(node, jd.WebhookNode) else None
            msg = node if isinstance(node, jd.MessageNode) else None
            effects.messages.append(
                {
                    "message_id": message_id(run, run.node_id),
                    "profile_id": run.profile_id,
                    "channel": msg.channel if msg else "webhook",
                    "category": msg.category if msg else "transactional",
                    "priority": msg.priority if msg else 0,
                    "journey_id": run.journey_id,
                    "journey_version": run.version,
                    "node_id": run.node_id,
                    "run_id": run.run_id,
                    "address": hook.url if hook else None,
                    "due_at": now,
                }
            )
            outcome = "queued"
        elif isinstance(node, jd.SetTraitNode):
            effects.traits.append((run.profile_id, node.trait, node.value))
            outcome = "set"
        elif isinstance(node, jd.ListNode):
            effects.lists.append((node.list, run.profile_id, node.action))
            outcome = node.action
        elif isinstance(node, jd.TriggerNode):
            effects.triggers.append((node.journey, run.profile_id, run.run_id))
            outcome = "triggered"
        else:
            raise AssertionError(f"unhandled node type {type(node).__name__}")
        return self._goto(run, node.next, now, outcome, effects, node)

    def _goto(
        self, run: Run, target: str, now: datetime, outcome: str, effects: Effects, node: Any
    ) -> bool:
        effects.steps.append(self._step_row(run, node, now, outcome))
        run.node_id, run.phase, run.due_at, run.wait_since = target, "enter", now, None
        run.steps += 1
        return True

    def _record(self, run: Run, node: Any, now: datetime, outcome: str, effects: Effects) -> None:
        effects.steps.append(self._step_row(run, node, now, outcome))

    @staticmethod
    def _step_row(run: Run, node: Any, now: datetime, outcome: str) -> StepRow:
        return StepRow(
            run.run_id,
            run.journey_id,
            run.version,
            run.profile_id,
            run.node_id,
            getattr(node, "stage", None),
            now,
            outcome,
        )

    @staticmethod
    def _exit(run: Run, now: datetime, reason: str, effects: Effects) -> None:
        del effects
        run.status, run.exited_at, run.exit_reason = "done", now, reason
        run.exit_node, run.due_at, run.phase = run.node_id, None, "enter"


def exit_run(run: Run, now: datetime, reason: str) -> None:
    """End a run from outside the graph (exit event, archive)."""
    run.status, run.exited_at, run.exit_reason = "done", now, reason
    run.exit_node, run.due_at = run.node_id, None
