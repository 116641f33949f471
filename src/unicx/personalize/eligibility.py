"""Offer eligibility: a segment-language condition, checked like a segment at save time and
evaluated for one person at decision time.

Saving reuses the segments parser, name resolver and compiler (errors carry the path, rooted
at ``eligibility``), and refuses conditions that read a sensitive trait, directly or through a
referenced segment. Deciding compiles the stored condition once per offer version (cached) and
runs it over the scope of the one profile (the same temp copies an ingest pass uses), so the
answer costs a few small queries whatever the workspace size.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from unicx.errors import FieldIssue, UnicxError, ValidationError
from unicx.segments import interface as seg
from unicx.segments.interface import Compiled
from unicx.store import Session

log = logging.getLogger(__name__)
ROOT = "eligibility"

_cache: dict[tuple[str, str, int], Compiled | None] = {}
_cache_lock = threading.Lock()


def _reroot(exc: ValidationError) -> ValidationError:
    """Segment errors are rooted at ``definition``; an offer's at ``eligibility``."""

    def fix(text: str) -> str:
        return ROOT + text[len("definition") :] if text.startswith("definition") else text

    issues = [FieldIssue(fix(i.field), i.rule, i.message) for i in exc.issues]
    return ValidationError(fix(exc.message), issues=issues)


def check(
    session: Session,
    raw: dict[str, Any],
    *,
    now: datetime,
    strict: bool,
    sensitive: Callable[[str], bool],
) -> dict[str, Any]:
    """The condition as stored (segment references by id), or ValidationError with the path."""
    try:
        stored, tree = seg.check_condition(session, raw, now=now, strict=strict)
    except ValidationError as exc:
        raise _reroot(exc) from None
    _refuse_sensitive(session, tree, sensitive, ROOT, set())
    return stored


def _refuse_sensitive(
    session: Session,
    tree: seg.Node,
    sensitive: Callable[[str], bool],
    via: str,
    seen: set[str],
) -> None:
    for node in seg.walk(tree):
        if isinstance(node, seg.TraitCond) and sensitive(node.trait):
            field = node.path.replace("definition", ROOT, 1) + ".trait" if via == ROOT else via
            message = f"trait {node.trait!r} is sensitive and cannot be used for personalization"
            if via != ROOT:
                message = f"the segment it references uses sensitive trait {node.trait!r}"
            raise ValidationError(
                f"{field}: {message}", issues=[FieldIssue(field, "sensitive_trait", message)]
            )
        if isinstance(node, seg.SegmentRef):
            _check_segment(session, node, sensitive, via, seen)


def _check_segment(
    session: Session,
    node: seg.SegmentRef,
    sensitive: Callable[[str], bool],
    via: str,
    seen: set[str],
) -> None:
    segment = seg.active_segment(session, node.ref)
    if segment is None or segment.segment_id in seen:
        return
    seen.add(segment.segment_id)
    where = node.path.replace("definition", ROOT, 1) + ".segment" if via == ROOT else via
    try:
        tree = seg.parse_condition(json.loads(segment.definition))
    except (ValidationError, ValueError):
        return  # a stored segment that no longer parses matches nobody; nothing to leak
    _refuse_sensitive(session, tree, sensitive, where, seen)


def compiled_for(
    session: Session, workspace: str, offer_id: str, version: int, stored: str | None
) -> Compiled | None:
    """The offer's compiled condition (None: everyone is eligible), cached per version. A
    condition that no longer compiles (its trait or segment is gone) makes nobody eligible."""
    if stored is None:
        return None
    key = (workspace, offer_id, version)
    with _cache_lock:
        if key in _cache:
            return _cache[key] or _NOBODY
    compiled: Compiled | None
    try:
        compiled = seg.compile_condition(session, json.loads(stored))
    except (UnicxError, ValueError) as exc:
        log.warning("offer %s eligibility does not compile, nobody eligible: %s", offer_id, exc)
        compiled = None
    with _cache_lock:
        _cache[key] = compiled
    return compiled or _NOBODY


# Compiles to "no profile": used for an eligibility that no longer compiles.
_NOBODY = Compiled("SELECT profile_id FROM profiles WHERE false __SCOPE__", {})


def eligible(
    session: Session,
    profile_id: str,
    offers: Iterable[tuple[str, Compiled | None]],
    *,
    now: datetime,
) -> list[str]:
    """Ids of ``offers`` whose condition holds for ``profile_id`` now, in the given order."""
    offers = list(offers)
    conditional = [(oid, c) for oid, c in offers if c is not None]
    holds: set[str] = {oid for oid, c in offers if c is None}
    if conditional:
        compileds = [c for _, c in conditional]
        with seg.condition_scope(session, [profile_id], conditions=compileds) as scope:
            for offer_id, compiled in conditional:
                sql, params = scope.query(compiled, now=now)
                row = session.fetchone(
                    f"SELECT count(*) FROM ({sql})", params, step="personalize.eligible"
                )
                if row and int(row[0]) > 0:
                    holds.add(offer_id)
    return [oid for oid, _ in offers if oid in holds]
