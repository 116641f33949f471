"""What a segment may name: the events, properties, traits, identifiers and segments the
workspace has seen, with their types, so a definition is checked before it is saved.

Trait names resolve in a fixed order, so a predictive trait written later by a model is usable
without any change to the language: a built-in computed trait (typed column of
``profile_computed``), then a model output (``model_traits``), a custom computed trait
(``computed_traits``), and last what people told us (``profile_traits``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from unicx.privacy.consent import PURPOSES
from unicx.segments.schema import MODEL_OUTPUTS
from unicx.store import Session

TraitType = Literal["number", "string", "time", "bool", "any"]
TraitSource = Literal["builtin", "model", "computed", "profile"]
SPECIAL_EVENTS = {"$page": "page", "$screen": "screen", "$identify": "identify"}
SPECIAL_IDENTIFIERS = ("push_token",)
# Keys sampled per event name: properties are free-form, a bounded sample keeps validation fast.
PROPERTY_SAMPLE = 20_000

_DUCK_TYPES: dict[str, TraitType] = {
    "TIMESTAMP WITH TIME ZONE": "time",
    "BIGINT": "number",
    "DOUBLE": "number",
    "TINYINT": "number",
    "VARCHAR": "string",
    "BOOLEAN": "bool",
}
_JSON_TYPES: dict[str, TraitType] = {
    "VARCHAR": "string",
    "BIGINT": "number",
    "UBIGINT": "number",
    "DOUBLE": "number",
    "BOOLEAN": "bool",
}
_TABLES: dict[TraitSource, str] = {
    "model": "model_traits",
    "computed": "computed_traits",
    "profile": "profile_traits",
}


@dataclass(frozen=True)
class Trait:
    name: str
    source: TraitSource
    type: TraitType

    @property
    def table(self) -> str:
        return "computed_traits" if self.source == "builtin" else _TABLES[self.source]


@dataclass
class Vocabulary:
    traits: dict[str, Trait] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)
    purposes: set[str] = field(default_factory=lambda: set(PURPOSES))
    properties: dict[str, dict[str, str]] = field(default_factory=dict)

    def trait(self, name: str) -> Trait | None:
        return self.traits.get(name)

    def suggest(self, word: str, options: set[str] | list[str]) -> str:
        close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
        if close:
            return close[0]
        lowered = {o.lower(): o for o in options}
        return lowered.get(word.lower(), "")


def load(session: Session, *, traits_only: bool = False) -> Vocabulary:
    """The workspace's vocabulary now (a few narrow scans; properties are loaded on demand)."""
    vocab = Vocabulary()
    for name, duck_type in session.fetchall(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'profile_computed' AND column_name <> 'profile_id'",
        step="segments.vocab.builtin",
    ):
        vocab.traits[name] = Trait(name, "builtin", _DUCK_TYPES.get(str(duck_type), "any"))
    for source in ("model", "computed", "profile"):
        _json_traits(session, vocab, source)
    for name, kind in MODEL_OUTPUTS.items():
        # Declared model outputs are valid before the first training run (the segment is
        # simply empty until then), so a marketer can set up "churn_risk >= 0.7" on day one.
        vocab.traits.setdefault(name, Trait(name, "model", kind))
    if traits_only:
        return vocab
    vocab.events = {
        str(r[0])
        for r in session.fetchall(
            "SELECT DISTINCT event FROM events WHERE event IS NOT NULL",
            step="segments.vocab.events",
        )
    }
    vocab.identifiers = {
        str(r[0])
        for r in session.fetchall(
            "SELECT DISTINCT id_type FROM identities", step="segments.vocab.identifiers"
        )
    } | {"user_id", "anonymous_id", "email", "phone", "device_id", *SPECIAL_IDENTIFIERS}
    return vocab


def _json_traits(session: Session, vocab: Vocabulary, source: TraitSource) -> None:
    # One JSON type per name: the most common non-null one (a trait sent as a number once and
    # as text once is compared as the majority type; docs/segments.md).
    rows = session.fetchall(
        f"SELECT name, arg_max(t, n) FROM (SELECT name, json_type(value) AS t, count(*) AS n "
        f"FROM {_TABLES[source]} WHERE json_type(value) <> 'NULL' GROUP BY ALL) GROUP BY name",
        step=f"segments.vocab.{source}",
    )
    for name, json_type in rows:
        if str(name) in vocab.traits:
            continue
        kind = _JSON_TYPES.get(str(json_type), "any")
        if kind == "string" and _looks_like_time(session, source, str(name)):
            kind = "time"
        vocab.traits[str(name)] = Trait(str(name), source, kind)


def _looks_like_time(session: Session, source: TraitSource, name: str) -> bool:
    row = session.fetchone(
        f"SELECT count(*) FILTER (WHERE TRY_CAST(value->>'$' AS TIMESTAMPTZ) IS NOT NULL), "
        f"count(*) FROM (SELECT value FROM {_TABLES[source]} WHERE name = ? LIMIT 100)",
        [name],
        step="segments.vocab.time",
    )
    return bool(row and row[1] and row[0] == row[1])


def properties_of(session: Session, vocab: Vocabulary, event: str) -> dict[str, str]:
    """Top-level property keys of ``event`` (from its latest events) and their JSON types;
    ``products[].key`` entries for keys of the products list."""
    if event in vocab.properties:
        return vocab.properties[event]
    match = "type = ?" if event in SPECIAL_EVENTS else "event = ?"
    value = SPECIAL_EVENTS.get(event, event)
    rows = session.fetchall(
        f"""WITH recent AS (
              SELECT properties FROM events WHERE {match} AND json_type(properties) = 'OBJECT'
              ORDER BY received_at DESC LIMIT {PROPERTY_SAMPLE}
            ),
            top AS (
              SELECT k.key AS key, json_type(k.value) AS t FROM recent, json_each(properties) k
            ),
            items AS (
              SELECT 'products[].' || k.key AS key, json_type(k.value) AS t
              FROM recent, json_each(properties, '$.products') p, json_each(p.value) k
              WHERE json_type(properties, '$.products') = 'ARRAY'
                AND json_type(p.value) = 'OBJECT'
            )
            SELECT key, arg_max(t, n) FROM (
              SELECT key, t, count(*) AS n FROM (SELECT * FROM top UNION ALL SELECT * FROM items)
              WHERE t <> 'NULL' GROUP BY ALL
            ) GROUP BY key""",
        [value],
        step="segments.vocab.properties",
    )
    found = {str(k): str(t) for k, t in rows}
    vocab.properties[event] = found
    return found
