"""Business rules applied to every recommendation at serving time (``/v1/recommendations/rules``).

Order: candidates are filtered (unavailable items, already purchased except re-recommendable
categories, a segment's allowed categories), scored by category multipliers (boost > 1, bury
< 1), capped per category (diversity), then pinned items go first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from unicx.store import Session, Store

KEY = "rules"
Name = str


class SegmentFilter(BaseModel):
    segment_id: str = Field(min_length=1, max_length=100)
    categories: list[Name] = Field(min_length=1, max_length=200)


class Rules(BaseModel):
    """The workspace's recommendation rules (docs/recommendations.md)."""

    model_config = {"extra": "forbid"}

    exclude_purchased: bool = True
    repurchasable_categories: list[str] = Field(
        default_factory=list, max_length=200, description="Consumables: recommended again"
    )
    exclude_unavailable: bool = True
    pinned: list[str] = Field(default_factory=list, max_length=20, description="Shown first")
    category_multipliers: dict[str, float] = Field(
        default_factory=dict, max_length=200, description="> 1 boosts, < 1 buries, 0 hides"
    )
    max_per_category: int | None = Field(default=None, ge=1, le=100)
    segment_filters: list[SegmentFilter] = Field(default_factory=list, max_length=50)


def load_rules(s: Session) -> Rules:
    row = s.fetchone("SELECT value FROM rec_rules WHERE key = ?", [KEY], step="rules.read")
    return Rules.model_validate(json.loads(str(row[0]))) if row else Rules()


def rules_stamp(s: Session) -> tuple[object, ...]:
    row = s.fetchone("SELECT max(updated_at) FROM rec_rules", step="rules.stamp")
    return tuple(row) if row else ()


def save_rules(store: Store, rules: Rules, *, now: datetime) -> Rules:
    for m in rules.category_multipliers.values():
        if not 0 <= m <= 100:
            raise ValueError("category multipliers are between 0 and 100")
    with store.session() as s:
        s.execute(
            "INSERT INTO rec_rules VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            [KEY, rules.model_dump_json(), now],
            step="rules.write",
        )
    return rules


@dataclass(frozen=True)
class Person:
    purchased: frozenset[str]
    segments: frozenset[str]


def apply_rules(
    rules: Rules,
    candidates: Iterable[tuple[str, float]],
    *,
    person: Person,
    category: Mapping[str, str | None],
    available: Mapping[str, bool],
    exclude: frozenset[str],
    k: int,
) -> list[tuple[str, float]]:
    """The best ``k`` of ``candidates`` (item, score) under the rules."""
    allowed: set[str] | None = None
    for f in rules.segment_filters:
        if f.segment_id in person.segments:
            allowed = (allowed or set()) | set(f.categories)
    scored: dict[str, float] = {}
    for item, score in candidates:
        cat = category.get(item)
        if item in exclude or item in scored:
            continue
        if rules.exclude_unavailable and not available.get(item, True):
            continue
        if (
            rules.exclude_purchased
            and item in person.purchased
            and cat not in rules.repurchasable_categories
        ):
            continue
        if allowed is not None and cat not in allowed:
            continue
        weight = rules.category_multipliers.get(cat or "", 1.0)
        if weight > 0:
            scored[item] = score * weight
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
    pinned = [i for i in rules.pinned if i not in exclude and available.get(i, True)]
    # Pinned items go first, scored just above the best candidate so scores stay ordered.
    top = ranked[0][1] if ranked else 0.0
    out: list[tuple[str, float]] = [(i, top + len(pinned) - n) for n, i in enumerate(pinned[:k])]
    per_category: dict[str | None, int] = {}
    cap = rules.max_per_category or k
    for item, score in ranked:
        if len(out) >= k:
            break
        cat = category.get(item)
        if item in pinned or per_category.get(cat, 0) >= cap:
            continue
        per_category[cat] = per_category.get(cat, 0) + 1
        out.append((item, score))
    return out
