"""Replay of the components merge protection refused, one group at a time in time order.

Only components that would break a limit or a block get here (a shared device, a public
computer, a placeholder that slipped through), so they are small and few; everything else was
decided set-based. Each group is attached to the profile of its highest-priority known
identifier. A new identifier that would push that profile over a limit goes to a profile of its
own instead, and two profiles whose union would break a rule stay apart: both are recorded as
conflicts for review.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unicx.identity.models import DEFAULT_CUSTOM_LIMIT

Ident = tuple[str, str]


@dataclass
class Conflict:
    ident: Ident
    profile_id: str
    other_profile_id: str
    rule: str
    at: datetime


@dataclass
class Merge:
    winner: str
    loser: str
    moved: list[Ident]
    evidence: dict[str, Any]


@dataclass
class Resolver:
    """In-memory identity state of the involved profiles, changed group by group."""

    limits: dict[str, int]
    priority: list[str]
    now: datetime
    owner: dict[Ident, str] = field(default_factory=dict)
    members: dict[str, set[Ident]] = field(default_factory=lambda: defaultdict(set))
    created: dict[str, datetime] = field(default_factory=dict)
    blocks: dict[Ident, set[Ident]] = field(default_factory=lambda: defaultdict(set))
    seen: dict[Ident, tuple[datetime, datetime]] = field(default_factory=dict)
    new_profiles: set[str] = field(default_factory=set)
    merges: list[Merge] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def load_profile(self, profile_id: str, created_at: datetime, ids: list[Ident]) -> None:
        self.created[profile_id] = created_at
        for ident in ids:
            self.owner[ident] = profile_id
            self.members[profile_id].add(ident)

    def add_block(self, a: Ident, b: Ident) -> None:
        self.blocks[a].add(b)
        self.blocks[b].add(a)

    def rank(self, ident: Ident) -> tuple[int, str, str]:
        kind = ident[0]
        # Custom types rank just before the last (least trusted) type, anonymous ids.
        pos = self.priority.index(kind) if kind in self.priority else len(self.priority) - 1
        return (pos, ident[0], ident[1])

    def limit(self, kind: str) -> int:
        return self.limits.get(kind, DEFAULT_CUSTOM_LIMIT)

    def apply_group(self, ids: list[Ident], ts: datetime) -> None:
        for ident in ids:
            first, last = self.seen.get(ident, (ts, ts))
            self.seen[ident] = (min(first, ts), max(last, ts))
        ordered = sorted(set(ids), key=self.rank)
        # The group follows its most trusted identifier: a new user id that cannot join the
        # shared device's profile takes the group's e-mail with it to a profile of its own.
        target = self._place_top(ordered[0], ordered[1:], ts)
        for ident in ordered[1:]:
            current = self.owner.get(ident)
            if current is None:
                self._place_new(ident, target, ts)
            elif current != target:
                rule = self.refusal(target, sorted(self.members[current]))
                if rule is None:
                    target = self._merge(target, current, ident)
                else:
                    self.conflicts.append(Conflict(ident, target, current, rule, ts))

    def _place_top(self, top: Ident, rest: list[Ident], ts: datetime) -> str:
        current = self.owner.get(top)
        if current is not None:
            return current
        known = next((self.owner[i] for i in rest if i in self.owner), None)
        if known is not None:
            rule = self.refusal(known, [top])
            if rule is None:
                self._assign(top, known)
                return known
        target = self._new_profile()
        self._assign(top, target)
        if known is not None and rule is not None:
            self.conflicts.append(Conflict(top, known, target, rule, ts))
        return target

    def _place_new(self, ident: Ident, target: str, ts: datetime) -> None:
        rule = self.refusal(target, [ident])
        if rule is None:
            self._assign(ident, target)
            return
        # Over the limit for this profile: the identifier becomes a profile of its own rather
        # than stay unresolved (its events still need a profile) or join the wrong person.
        alone = self._new_profile()
        self._assign(ident, alone)
        self.conflicts.append(Conflict(ident, target, alone, rule, ts))

    def refusal(self, profile_id: str, incoming: list[Ident]) -> str | None:
        have = Counter(kind for kind, _ in self.members[profile_id])
        add = Counter(kind for kind, _ in incoming)
        for kind, count in add.items():
            if have[kind] + count > self.limit(kind):
                return f"limit:{kind}"
        mine = self.members[profile_id]
        for ident in incoming:
            if self.blocks.get(ident, set()) & mine:
                return "blocked"
        return None

    def _new_profile(self) -> str:
        profile_id = str(uuid.uuid4())
        self.created[profile_id] = self.now
        self.new_profiles.add(profile_id)
        return profile_id

    def _assign(self, ident: Ident, profile_id: str) -> None:
        self.owner[ident] = profile_id
        self.members[profile_id].add(ident)

    def _merge(self, a: str, b: str, via: Ident) -> str:
        winner, loser = sorted((a, b), key=lambda p: (self.created[p], p))
        moved = sorted(self.members.pop(loser, set()))
        for ident in moved:
            self._assign(ident, winner)
        if loser in self.new_profiles:
            # Made and merged within this replay: nothing outside ever saw it.
            self.new_profiles.discard(loser)
        else:
            evidence = {"linked_by": [{"type": via[0], "value": via[1]}]}
            self.merges.append(Merge(winner, loser, moved, evidence))
        return winner
