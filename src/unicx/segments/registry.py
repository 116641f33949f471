"""Definitions -> live, compiled segments in dependency order, and the name resolver.

Compiled SQL is cached per (workspace, segment, version): an ingest pass re-evaluates every
segment for the touched profiles and must not re-read the workspace vocabulary each time.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from unicx.errors import FieldIssue, UnicxError, ValidationError
from unicx.segments import conditions as sc
from unicx.segments import definition as d
from unicx.segments.compiler import Compiled, compile_segment
from unicx.segments.membership import Live
from unicx.segments.vocabulary import SPECIAL_EVENTS, Trait, Vocabulary, load, properties_of
from unicx.store import Session

log = logging.getLogger(__name__)

_cache: dict[tuple[str, str, int], Compiled] = {}
_cache_lock = threading.Lock()


@dataclass
class Resolver:
    """Checks names against the workspace. ``strict``: unknown events and properties are
    errors; otherwise warnings (a segment may be defined before its first event arrives)."""

    session: Session
    vocab: Vocabulary
    segments: dict[str, str]  # id and lower-cased name -> id
    strict: bool = True
    warnings: list[FieldIssue] = field(default_factory=list)
    self_id: str | None = None

    def trait(self, path: str, name: str) -> Trait:
        found = self.vocab.trait(name)
        if found is None:
            hint = self.vocab.suggest(name, set(self.vocab.traits))
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise sc.issue(
                path, "unknown_trait", f"no trait {name[:64]!r} in this workspace{extra}"
            )
        return found

    def segment(self, path: str, ref: str) -> str:
        found = self.segments.get(ref) or self.segments.get(ref.lower())
        if found is None:
            hint = self.vocab.suggest(ref, [k for k in self.segments if not k.startswith("seg_")])
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise sc.issue(path, "unknown_segment", f"no segment {ref[:64]!r}{extra}")
        if found == self.self_id:
            raise sc.issue(path, "cycle", "a segment cannot contain itself")
        return found

    def event(self, path: str, name: str) -> None:
        if name in SPECIAL_EVENTS or name in self.vocab.events:
            return
        hint = self.vocab.suggest(name, self.vocab.events)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        self._unknown(path, "unknown_event", f"no event {name[:64]!r} seen yet{extra}")

    def property(self, path: str, event: str, prop: str) -> None:
        if event not in self.vocab.events:
            return  # the event itself was reported (or is $page etc.: free-form properties)
        seen = properties_of(self.session, self.vocab, event)
        key = prop if prop.startswith("products[].") else prop.split(".")[0]
        if key in seen:
            return
        hint = self.vocab.suggest(key, set(seen))
        extra = f" (did you mean {hint!r}?)" if hint else ""
        self._unknown(path, "unknown_property", f"{event[:64]!r} has no property {key!r}{extra}")

    def _unknown(self, path: str, rule: str, message: str) -> None:
        if self.strict:
            raise sc.issue(path, rule, message)
        self.warnings.append(FieldIssue(path, rule, message))


def segment_index(session: Session) -> dict[str, str]:
    rows = session.fetchall(
        "SELECT segment_id, name FROM segments WHERE status = 'active'", step="segments.index"
    )
    out: dict[str, str] = {}
    for sid, name in rows:
        out[str(sid)] = str(sid)
        out[str(name).lower()] = str(sid)
    return out


def resolve_refs(raw: Any, resolver: Resolver, path: str = "definition") -> Any:
    """``raw`` with every ``{"segment": name}`` replaced by the segment's id, so a reference
    survives renames."""
    if isinstance(raw, dict):
        if set(raw) == {"segment"} and isinstance(raw["segment"], str):
            return {"segment": resolver.segment(f"{path}.segment", raw["segment"])}
        return {k: resolve_refs(v, resolver, f"{path}.{k}") for k, v in raw.items()}
    if isinstance(raw, list):
        return [resolve_refs(v, resolver, f"{path}[{i}]") for i, v in enumerate(raw)]
    return raw


def live_segments(session: Session, *, workspace: str) -> list[Live]:
    """Active segments, compiled, dependencies before dependents. A definition that no longer
    compiles (its trait was removed) is skipped with a warning: ingest must go on."""
    rows = session.fetchall(
        "SELECT segment_id, name, version, definition FROM segments WHERE status = 'active' "
        "ORDER BY created_at, segment_id",
        step="segments.live",
    )
    vocab: Vocabulary | None = None
    index: dict[str, str] | None = None
    out: dict[str, Live] = {}
    for sid, name, version, definition in rows:
        key = (workspace, str(sid), int(version))
        with _cache_lock:
            compiled = _cache.get(key)
        if compiled is None:
            if vocab is None or index is None:
                vocab, index = load(session, traits_only=True), segment_index(session)
            resolver = Resolver(session, vocab, index, strict=False, self_id=str(sid))
            try:
                compiled = compile_segment(d.parse(json.loads(str(definition))), resolver)
            except (UnicxError, ValueError) as exc:
                log.warning("segment %s (%s) does not compile, skipped: %s", name, sid, exc)
                continue
            with _cache_lock:
                _cache[key] = compiled
        out[str(sid)] = Live(str(sid), str(name), int(version), compiled)
    return dependency_order(out)


def dependency_order(segments: dict[str, Live]) -> list[Live]:
    """Referenced segments first; a segment whose reference is missing or cyclic is dropped."""
    ordered: list[Live] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done, 3 dropped

    def visit(sid: str) -> bool:
        if state.get(sid) == 2:
            return True
        if state.get(sid) in (1, 3) or sid not in segments:
            state[sid] = 3
            return False
        state[sid] = 1
        ok = all(visit(ref) for ref in segments[sid].compiled.refs)
        state[sid] = 2 if ok else 3
        if ok:
            ordered.append(segments[sid])
        return ok

    for sid in segments:
        visit(sid)
    return ordered


def dependents(segments: list[Live], roots: set[str]) -> set[str]:
    """``roots`` and every segment that references one of them, transitively."""
    out = set(roots)
    for segment in segments:  # dependency order: a dependent comes after what it references
        if segment.compiled.refs & out:
            out.add(segment.segment_id)
    return out


def check_no_cycle(session: Session, segment_id: str, refs: set[str], path: str) -> None:
    """Saving ``segment_id`` with ``refs`` must not close a loop through stored segments."""
    graph: dict[str, set[str]] = {}
    for sid, definition in session.fetchall(
        "SELECT segment_id, definition FROM segments WHERE status = 'active'",
        step="segments.graph",
    ):
        graph[str(sid)] = _refs(json.loads(str(definition)))
    graph[segment_id] = refs
    seen: set[str] = set()
    stack = list(refs)
    while stack:
        sid = stack.pop()
        if sid == segment_id:
            raise ValidationError(
                f"{path}: segment references form a cycle",
                issues=[FieldIssue(path, "cycle", "segment references form a cycle")],
            )
        if sid not in seen:
            seen.add(sid)
            stack.extend(graph.get(sid, set()))


def _refs(raw: Any) -> set[str]:
    if isinstance(raw, dict):
        if set(raw) == {"segment"} and isinstance(raw["segment"], str):
            return {raw["segment"]}
        return set().union(*(_refs(v) for v in raw.values())) if raw else set()
    if isinstance(raw, list):
        return set().union(*(_refs(v) for v in raw)) if raw else set()
    return set()
