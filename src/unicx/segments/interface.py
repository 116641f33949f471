"""The segment language as other domains embed it: an offer's eligibility and a journey's
condition node are segment conditions, checked when saved and evaluated for a few profiles.

This is the only segments module personalize and journeys may import (an import-linter
contract in pyproject.toml says so): the parser, compiler, resolver and scope copies behind it
can change without touching them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.segments.compiler import Compiled, compile_segment, used_params
from unicx.segments.conditions import Node, SegmentRef, TraitCond, walk
from unicx.segments.definition import parse as parse_condition
from unicx.segments.membership import Relations, relations_for
from unicx.segments.registry import Resolver, resolve_refs, segment_index
from unicx.segments.vocabulary import load
from unicx.store import Session

__all__ = [
    "ActiveSegment",
    "Compiled",
    "ConditionScope",
    "Node",
    "SegmentRef",
    "TraitCond",
    "active_segment",
    "check_condition",
    "compile_condition",
    "condition_scope",
    "parse_condition",
    "walk",
]


@dataclass(frozen=True)
class ActiveSegment:
    segment_id: str
    definition: str  # as stored (JSON text); it may no longer parse


def active_segment(session: Session, ref: str) -> ActiveSegment | None:
    """The active segment ``ref`` names (its id, or its name in any case), if any."""
    row = session.fetchone(
        "SELECT segment_id, definition FROM segments WHERE status = 'active' AND "
        "(segment_id = ? OR lower(name) = lower(?))",
        [ref, ref],
        step="segments.active_by_ref",
    )
    return ActiveSegment(str(row[0]), str(row[1])) if row else None


def check_condition(
    session: Session, raw: dict[str, Any], *, now: datetime, strict: bool
) -> tuple[dict[str, Any], Node]:
    """The condition as stored (segment references by id) and its tree; ValidationError with
    the path (rooted at ``definition``) when it does not parse, resolve or compile."""
    tree = parse_condition(raw, now=now)
    resolver = Resolver(session, load(session), segment_index(session), strict=strict)
    stored: dict[str, Any] = resolve_refs(raw, resolver)
    compile_segment(tree, resolver)
    return stored, tree


def compile_condition(session: Session, raw: Any) -> Compiled:
    """A stored condition compiled against the workspace now (unknown events are no error: a
    condition may name an event before it first arrives)."""
    vocab, index = load(session, traits_only=True), segment_index(session)
    return compile_segment(parse_condition(raw), Resolver(session, vocab, index, strict=False))


@dataclass(frozen=True)
class ConditionScope:
    """The relations of a few profiles; :meth:`query` gives a condition's SQL over them."""

    relations: Relations

    def query(self, compiled: Compiled, *, now: datetime | None) -> tuple[str, dict[str, Any]]:
        """The SELECT of the profile ids in scope for which ``compiled`` holds, and its
        parameters."""
        rel = self.relations
        sql = compiled.render(events=rel.events, scope=rel.scope, tables=rel.tables)
        return sql, used_params(sql, {**compiled.params, "now": now})


@contextmanager
def condition_scope(
    session: Session, profile_ids: list[str], *, conditions: Iterable[Compiled]
) -> Iterator[ConditionScope]:
    """The scope to evaluate ``conditions`` for ``profile_ids`` (copies only the traits they
    read), dropped on exit."""
    traits: set[str] = set().union(*(c.traits for c in conditions))
    with relations_for(session, profile_ids, traits=traits) as rel:
        yield ConditionScope(rel)
