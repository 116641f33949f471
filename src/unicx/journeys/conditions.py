"""Answering a batch's condition nodes in bulk, and matching events against a journey's
event filters (entries, waits, exits, goals)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from unicx.errors import UnicxError
from unicx.journeys import definition as jd
from unicx.journeys.engine import Run
from unicx.segments.interface import Compiled, compile_condition, condition_scope
from unicx.store import Session

log = logging.getLogger(__name__)
_MISSING = object()


def _lookup(properties: Mapping[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    try:
        if op == "eq":
            return bool(actual == wanted)
        if op == "neq":
            return bool(actual != wanted)
        if op == "in":
            return actual in wanted
        if op == "contains":
            return str(wanted).lower() in str(actual).lower()
        if isinstance(actual, bool) or not isinstance(actual, int | float | str):
            return False
        if isinstance(wanted, str) != isinstance(actual, str):
            return False
        ops = {
            "gt": actual > wanted,
            "gte": actual >= wanted,
            "lt": actual < wanted,
            "lte": actual <= wanted,
        }
        return bool(ops[op])
    except TypeError:
        return False


def filters_hold(filters: list[jd.PropertyFilter], properties: Mapping[str, Any]) -> bool:
    for f in filters:
        actual = _lookup(properties, f.property)
        if f.op == "exists":
            ok = actual is not _MISSING and actual is not None
        elif f.op == "not_exists":
            ok = actual is _MISSING or actual is None
        else:
            ok = actual is not _MISSING and _compare(f.op, actual, f.value)
        if not ok:
            return False
    return True


def event_matches(match: jd.EventMatch | jd.EventEntry, event: str, properties: Any) -> bool:
    return match.event == event and filters_hold(match.where, properties or {})


def parse_properties(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class ConditionEvaluator:
    """Callable for :class:`~unicx.journeys.engine.Stepper`: which runs' condition holds."""

    def __init__(
        self, session: Session, definitions: Callable[[str, int], jd.JourneyDefinition]
    ) -> None:
        self._session = session
        self._defs = definitions
        self._compiled: dict[tuple[str, int, str], Compiled | None] = {}
        self.now: datetime | None = None

    def __call__(self, journey_id: str, version: int, node_id: str, runs: list[Run]) -> set[str]:
        node = self._defs(journey_id, version).nodes[node_id]
        assert isinstance(node, jd.ConditionNode)
        if node.event_since_entry is not None:
            return self._since_entry(node.event_since_entry, runs)
        compiled = self._compile(journey_id, version, node_id, node.condition or {})
        if compiled is None:
            return set()
        profiles = sorted({r.profile_id for r in runs})
        with condition_scope(self._session, profiles, conditions=[compiled]) as scope:
            sql, params = scope.query(compiled, now=self.now)
            holds = {str(r[0]) for r in self._session.fetchall(sql, params, step="journeys.cond")}
        return {r.run_id for r in runs if r.profile_id in holds}

    def _compile(
        self, journey_id: str, version: int, node_id: str, raw: dict[str, Any]
    ) -> Compiled | None:
        key = (journey_id, version, node_id)
        if key not in self._compiled:
            try:
                self._compiled[key] = compile_condition(self._session, raw)
            except (UnicxError, ValueError) as exc:
                # Its trait or segment is gone since publishing: the condition is false.
                log.warning(
                    "journey %s node %s condition no longer compiles: %s", journey_id, node_id, exc
                )
                self._compiled[key] = None
        return self._compiled[key]

    def _since_entry(self, match: jd.EventMatch, runs: list[Run]) -> set[str]:
        earliest = min(r.entered_at for r in runs)
        rows = self._session.fetchall(
            "SELECT profile_id, timestamp, properties FROM event_profiles "
            "WHERE type = 'track' AND event = $event AND timestamp >= $since "
            "AND profile_id IN (SELECT unnest($ids::VARCHAR[]))",
            {"event": match.event, "since": earliest, "ids": sorted({r.profile_id for r in runs})},
            step="journeys.event_since_entry",
        )
        seen: dict[str, list[datetime]] = {}
        for profile_id, ts, props in rows:
            if filters_hold(match.where, parse_properties(props)):
                seen.setdefault(str(profile_id), []).append(ts)
        return {
            r.run_id for r in runs if any(ts >= r.entered_at for ts in seen.get(r.profile_id, []))
        }
