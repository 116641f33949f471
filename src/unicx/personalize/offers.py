"""Offers and content blocks: validate, save (versioned in place), list, retire; placements.

Everything a decision relies on is checked when an offer is saved, in one transaction: the
eligibility condition (like a segment, path-named errors), the template (sandbox static check
and a trial render), sensitive traits in either, one default offer per placement. A refused
offer saves nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from unicx.errors import ConflictError, FieldIssue, NotFoundError, ValidationError
from unicx.personalize import eligibility, templates
from unicx.personalize.models import (
    OfferCreate,
    OfferPublic,
    OfferUpdate,
    OfferValidation,
    PlacementPublic,
    PlacementSettings,
)
from unicx.personalize.sensitive import SensitiveCheck, pattern_category
from unicx.store import Session, Store

MAX_OFFERS = 1000
_COLUMNS = (
    "offer_id, name, placement, channel, description, eligibility, priority, weight, template, "
    "locale, is_default, version, status, created_at, updated_at"
)


def _issue(path: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}", issues=[FieldIssue(path, rule, message)])


def _public(row: dict[str, Any]) -> OfferPublic:
    raw = row["eligibility"]
    return OfferPublic(**{**row, "eligibility": json.loads(raw) if raw is not None else None})


def check_offer(
    s: Session, body: OfferCreate, *, now: datetime, strict: bool
) -> tuple[str | None, OfferValidation]:
    """The stored eligibility text and what the template uses, or ValidationError."""
    sensitive = SensitiveCheck(s)
    stored = None
    if body.eligibility is not None:
        tree = eligibility.check(s, body.eligibility, now=now, strict=strict, sensitive=sensitive)
        stored = json.dumps(tree, ensure_ascii=False)
    tree_t = templates.check_static(body.template, channel=body.channel)
    used = templates.used_traits(tree_t)
    for name, line in used.items():
        if sensitive(name):
            kind = (sensitive.marks.get(name) and "marked sensitive") or pattern_category(name)
            raise _issue(
                "template",
                "sensitive_trait",
                f"line {line}: trait {name!r} is sensitive ({kind}) and cannot be used for "
                "personalization",
            )
    sample = templates.render(
        body.template,
        {**templates.SAMPLE_CONTEXT, "locale": body.locale},
        channel=body.channel,
    )
    return stored, OfferValidation(
        valid=True,
        traits=sorted(used),
        uses_recommendations=templates.uses_recommendations(tree_t),
        sample=sample[:2000],
    )


class OfferService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading -----------------------------------------------------------------------------

    def _row(self, s: Session, ref: str) -> dict[str, Any]:
        rows = s.fetch_dicts(
            f"SELECT {_COLUMNS} FROM offers WHERE status = 'active' "
            "AND (offer_id = ? OR lower(name) = lower(?)) ORDER BY offer_id = ? DESC LIMIT 1",
            [ref, ref, ref],
            step="personalize.offer",
        )
        if not rows:
            raise NotFoundError(f"no offer {ref[:64]!r}")
        return rows[0]

    def get(self, ref: str) -> OfferPublic:
        with self.store.session() as s:
            return _public(self._row(s, ref))

    def all(self, *, placement: str | None = None) -> list[OfferPublic]:
        with self.store.session() as s:
            rows = s.fetch_dicts(
                f"SELECT {_COLUMNS} FROM offers WHERE status = 'active' "
                "AND ($p IS NULL OR placement = $p) ORDER BY placement, priority DESC, name",
                {"p": placement},
                step="personalize.offers",
            )
        return [_public(r) for r in rows]

    def validate(self, body: OfferCreate, *, now: datetime, strict: bool = True) -> OfferValidation:
        with self.store.session() as s:
            return check_offer(s, body, now=now, strict=strict)[1]

    # -- saving ------------------------------------------------------------------------------

    def create(self, body: OfferCreate, *, now: datetime, strict: bool = True) -> OfferPublic:
        offer_id = f"off_{uuid.uuid4().hex[:16]}"
        with self.store.session() as s, s.transaction():
            self._unique(s, body, None)
            count = s.fetchone(
                "SELECT count(*) FROM offers WHERE status = 'active'", step="personalize.count"
            )
            if count and int(count[0]) >= MAX_OFFERS:
                raise ConflictError(f"at most {MAX_OFFERS} active offers")
            stored, _ = check_offer(s, body, now=now, strict=strict)
            s.execute(
                f"INSERT INTO offers ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'active', ?, ?)",
                [offer_id, body.name.strip(), body.placement, body.channel, body.description,
                 stored, body.priority, body.weight, body.template, body.locale,
                 body.is_default, now, now],
                step="personalize.offer_insert",
            )  # fmt: skip
        return self.get(offer_id)

    def update(
        self, ref: str, body: OfferUpdate, *, now: datetime, strict: bool = True
    ) -> OfferPublic:
        with self.store.session() as s, s.transaction():
            current = _public(self._row(s, ref))
            changes = body.model_dump(exclude_none=True, exclude={"clear_eligibility"})
            merged = OfferCreate(
                **{**current.model_dump(include=set(OfferCreate.model_fields)), **changes}
            )
            if body.clear_eligibility:
                merged.eligibility = None
            self._unique(s, merged, current.offer_id)
            stored, _ = check_offer(s, merged, now=now, strict=strict)
            s.execute(
                "UPDATE offers SET name = ?, placement = ?, channel = ?, description = ?, "
                "eligibility = ?, priority = ?, weight = ?, template = ?, locale = ?, "
                "is_default = ?, version = version + 1, updated_at = ? WHERE offer_id = ?",
                [merged.name.strip(), merged.placement, merged.channel, merged.description,
                 stored, merged.priority, merged.weight, merged.template, merged.locale,
                 merged.is_default, now, current.offer_id],
                step="personalize.offer_update",
            )  # fmt: skip
        return self.get(current.offer_id)

    def apply(self, bodies: list[OfferCreate], *, now: datetime) -> list[OfferPublic]:
        """Create or update each offer by name (a file of offers kept in version control)."""
        out = []
        for body in bodies:
            try:
                existing = self.get(body.name)
            except NotFoundError:
                out.append(self.create(body, now=now))
                continue
            update = OfferUpdate(**body.model_dump(), clear_eligibility=body.eligibility is None)
            out.append(self.update(existing.offer_id, update, now=now))
        return out

    def delete(self, ref: str, *, now: datetime) -> OfferPublic:
        """Retire an offer: it is no longer decided; the decision log keeps referring to it."""
        with self.store.session() as s, s.transaction():
            row = self._row(s, ref)
            s.execute(
                "UPDATE offers SET status = 'retired', updated_at = ? WHERE offer_id = ?",
                [now, row["offer_id"]],
                step="personalize.offer_retire",
            )
            row.update(status="retired", updated_at=now)
        return _public(row)

    def _unique(self, s: Session, body: OfferCreate, self_id: str | None) -> None:
        clash = s.fetchone(
            "SELECT offer_id FROM offers WHERE status = 'active' AND lower(name) = lower(?) "
            "AND offer_id IS DISTINCT FROM ?",
            [body.name.strip(), self_id],
            step="personalize.offer_name",
        )
        if clash:
            raise ConflictError(f"an offer named {body.name[:64]!r} exists")
        if body.is_default:
            other = s.fetchone(
                "SELECT name FROM offers WHERE status = 'active' AND is_default AND placement = ? "
                "AND offer_id IS DISTINCT FROM ?",
                [body.placement, self_id],
                step="personalize.offer_default",
            )
            if other:
                raise ConflictError(
                    f"placement {body.placement!r} already has a default offer ({other[0]!r})"
                )

    # -- placements --------------------------------------------------------------------------

    def placement(self, name: str) -> PlacementPublic:
        with self.store.session() as s:
            return read_placement(s, name)

    def set_placement(
        self, name: str, body: PlacementSettings, *, now: datetime
    ) -> PlacementPublic:
        with self.store.session() as s, s.transaction():
            read_placement(s, name)  # 404 for a placement without offers
            s.execute(
                "INSERT OR REPLACE INTO placements VALUES (?, ?, ?, ?, ?)",
                [name, body.epsilon, body.holdout_percent, body.reward, now],
                step="personalize.placement_set",
            )
            return read_placement(s, name)


def read_placement(s: Session, name: str) -> PlacementPublic:
    """A placement's policy settings (defaults until set); 404 when no active offer uses it."""
    row = s.fetchone(
        "SELECT count(*) FROM offers WHERE status = 'active' AND placement = ?",
        [name],
        step="personalize.placement_offers",
    )
    offers = int(row[0]) if row else 0
    if not offers:
        raise NotFoundError(f"no placement {name[:64]!r}: no active offer uses it")
    rows = s.fetch_dicts(
        "SELECT epsilon, holdout_percent, reward FROM placements WHERE placement = ?",
        [name],
        step="personalize.placement",
    )
    settings = PlacementSettings(**rows[0]) if rows else PlacementSettings()
    return PlacementPublic(placement=name, offers=offers, **settings.model_dump())
