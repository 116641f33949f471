"""The names a segment editor offers: traits with their types, events, identifiers, consent
purposes and the other segments, read once per form (the dashboard's builder lists them as
suggestions; the definition is still checked by the service, with its did-you-mean)."""

from __future__ import annotations

from dataclasses import dataclass

from unicx.segments.vocabulary import SPECIAL_EVENTS, SPECIAL_IDENTIFIERS, TraitType, load
from unicx.store import Store

BASE_IDENTIFIERS = ("email", "phone", "user_id", "anonymous_id", "device_id", *SPECIAL_IDENTIFIERS)
# A form lists at most this many names of a kind (a workspace may have thousands of events).
MAX_NAMES = 500


@dataclass(frozen=True)
class SegmentName:
    segment_id: str
    name: str


@dataclass(frozen=True)
class EditorNames:
    traits: dict[str, TraitType]
    events: list[str]
    identifiers: list[str]
    purposes: list[str]
    segments: list[SegmentName]

    def trait_type(self, name: str) -> TraitType | None:
        return self.traits.get(name)


def segment_names(store: Store) -> list[SegmentName]:
    """Active segments by name (what a reference to another segment may point at)."""
    with store.session() as s:
        rows = s.fetchall(
            "SELECT segment_id, name FROM segments WHERE status = 'active' ORDER BY lower(name) "
            f"LIMIT {MAX_NAMES}",
            step="segments.names",
        )
    return [SegmentName(str(i), str(n)) for i, n in rows]


def editor_names(store: Store, *, seen: bool = True) -> EditorNames:
    """``seen``: also the events and identifiers the workspace has seen (scans of the events
    and identities; a form's live preview needs only the traits' types)."""
    with store.session() as s:
        vocab = load(s, traits_only=not seen)
    identifiers = vocab.identifiers or set(BASE_IDENTIFIERS)
    return EditorNames(
        traits={t.name: t.type for t in sorted(vocab.traits.values(), key=lambda t: t.name)},
        events=sorted(vocab.events)[:MAX_NAMES] + list(SPECIAL_EVENTS) if seen else [],
        identifiers=sorted(identifiers)[:MAX_NAMES],
        purposes=sorted(vocab.purposes),
        segments=segment_names(store),
    )
