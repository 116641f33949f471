"""Segment rows as services return them: the public record with its size, the change
records, and the trait values shown next to members (from every trait source)."""

from __future__ import annotations

import json
from typing import Any

from unicx.errors import FieldIssue, ValidationError
from unicx.segments import conditions as sc
from unicx.segments.models import Change, SegmentPublic
from unicx.segments.vocabulary import load
from unicx.store import Session


def change_record(row: dict[str, Any]) -> Change:
    event = "Segment Entered" if row["change"] == "entered" else "Segment Exited"
    return Change(
        change_id=row["change_id"],
        event=event,
        segment_id=row["segment_id"],
        profile_id=row["profile_id"],
        occurred_at=row["occurred_at"],
        version=row["version"],
        reason=row["reason"],
    )


def public(s: Session, row: dict[str, Any]) -> SegmentPublic:
    size = s.fetchone(
        "SELECT count(*) FROM segment_members WHERE segment_id = ?",
        [row["segment_id"]],
        step="segments.size_now",
    )
    return SegmentPublic(
        segment_id=row["segment_id"],
        name=row["name"],
        description=row["description"],
        kind=row["kind"],
        version=row["version"],
        definition=json.loads(row["definition_text"]),
        status=row["status"],
        size=int(size[0]) if size else 0,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        refreshed_at=row["refreshed_at"],
    )


def check_traits(s: Session, names: list[str]) -> list[str]:
    if len(names) > 50:
        raise sc.issue("traits", "too_many", "at most 50 traits")
    if not names:
        return []
    vocab = load(s, traits_only=True)
    for i, name in enumerate(names):
        if vocab.trait(name) is None:
            hint = vocab.suggest(name, set(vocab.traits))
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise ValidationError(
                f"traits[{i}]: unknown trait{extra}",
                issues=[FieldIssue(f"traits[{i}]", "unknown_trait", f"unknown trait{extra}")],
            )
    return names


def traits_of(s: Session, ids: list[str], names: list[str]) -> dict[str, dict[str, Any]]:
    """{profile_id: {trait: value}} for a page of profiles, from every trait source."""
    if not ids or not names:
        return {}
    rows = s.fetchall(
        """SELECT profile_id, name, value FROM (
             SELECT profile_id, name, value, 1 AS rank FROM computed_traits
             UNION ALL SELECT profile_id, name, value, 2 FROM model_traits
             UNION ALL SELECT profile_id, name, value, 3 FROM profile_traits
           ) WHERE list_contains($ids, profile_id) AND list_contains($names, name)
           QUALIFY row_number() OVER (PARTITION BY profile_id, name ORDER BY rank) = 1""",
        {"ids": ids, "names": names},
        step="segments.member_traits",
    )
    out: dict[str, dict[str, Any]] = {}
    for pid, name, value in rows:
        out.setdefault(str(pid), {})[str(name)] = json.loads(value) if value is not None else None
    return out
