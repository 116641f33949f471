"""Answering ``/v1/profiles/{id}/recommendations`` and ``/v1/items/{sku}/similar``.

Precomputed lists (index.py) are re-ranked with what the person did since the model was
trained: items viewed or added lately bring their neighbours up, items bought lately drop out.
Without the ``personalization`` consent a person gets the non-personalized lists (trending; an
item's neighbours on a product page). Every answer gets a recommendation id and is logged, so
a ``Product Clicked`` carrying that id, and the orders after it, are attributed (report.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from unicx.config import Settings
from unicx.errors import NotFoundError, ValidationError
from unicx.recommend.index import Index, Ranked
from unicx.recommend.live import IndexHolder
from unicx.recommend.models import Recommendations, RecommendedItem
from unicx.recommend.people import Ids
from unicx.recommend.recent import RecentEvents
from unicx.recommend.rules import Person, apply_rules
from unicx.recommend.served import ServedLog
from unicx.store import Session, Store

RECENT_LIMIT = 20
MAX_CART = 20
Recent = tuple[str, str | None, str | None]  # event, item, country
# What an answer tells of each item, from the catalog.
_ITEM_FIELDS = ("name", "price", "currency", "image", "url")
CONTEXTS = ("home", "product", "cart")


def parse_context(context: str) -> tuple[str, str | None]:
    kind, _, value = context.partition(":")
    if kind not in CONTEXTS or (kind == "product") != bool(value) or len(value) > 200:
        raise ValidationError(
            f"context {context[:60]!r}: expected home, cart or product:<sku>",
            issues=[],
        )
    return kind, value or None


def _normalized(ranked: Ranked, weight: float) -> Ranked:
    top = max((s for _, s in ranked), default=0.0)
    return [(i, weight * s / top) for i, s in ranked] if top > 0 else []


def _context_pool(
    index: Index, kind: str, sku: str | None, cart: Sequence[str], recent: list[Recent]
) -> tuple[list[Ranked], set[str]]:
    """Product page: the item's neighbours first; cart: complements of the basket."""
    pool: list[Ranked] = []
    exclude: set[str] = set()
    if kind == "product" and sku is not None:
        pool.append(_normalized(index.similar.get(sku), 2.0))
        exclude.add(sku)
    if kind == "cart":
        basket = list(cart) or [i for e, i, _ in recent if e == "Product Added" and i]
        for item in basket[:MAX_CART]:
            pool.append(_normalized(index.similar.get(item), 1.5))
        exclude.update(basket)
    return pool, exclude


def _personal_pool(index: Index, profile_id: str, recent: list[Recent]) -> list[Ranked]:
    """The precomputed list, plus neighbours of what was viewed or added since training (the
    latest counts most)."""
    pool = [_normalized(index.candidates.get(profile_id), 1.0)]
    touched = [i for e, i, _ in recent if e != "Order Completed" and i]
    for n, item in enumerate(dict.fromkeys(touched)):
        pool.append(_normalized(index.similar.get(item), 0.8 / (1 + n)))
    return pool


def _trending(
    index: Index, profile_id: str, recent: list[Recent], segments: frozenset[str] | None
) -> Ranked:
    """Cold start and filler: trending in one of the person's segments, else their country,
    else everywhere. ``segments`` None: no consent, the global list only."""
    lists = index.trending
    if segments is not None:
        for segment in sorted(segments):
            found = lists.get(f"segment:{segment}")
            if found:
                return _normalized(found, 0.1)
        country = next((c for _, _, c in recent if c), None) or index.country.get(profile_id)
        found = lists.get(f"country:{country}") if country else []
        if found:
            return _normalized(found, 0.1)
    return _normalized(lists.get("global:"), 0.1)


def why_not_personal(
    settings: Settings, *, consent: bool | None, trained: bool, history: bool
) -> str | None:
    """Why an answer is not personalized (None: it is), in words a site owner can act on."""
    model = settings.consent_model
    if consent is False:
        return f"personalization consent withdrawn (workspace consent model: {model})"
    if consent is None and settings.personalization_opt_in:
        return f"no personalization consent (workspace consent model: {model})"
    if not trained:
        return "model not trained: run `unicx train` (trending items only)"
    if not history:
        return "no history: no views, carts or orders yet (trending items only)"
    return None


class Recommender:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.index = IndexHolder(store)
        self.log = ServedLog(store)
        self.recent = RecentEvents(store)

    def _recent(self, ids: Ids, since: datetime | None) -> list[Recent]:
        """What the person did since the model was trained (newest first), from memory."""
        if since is None or not (ids[0] or ids[1]):
            return []
        return self.recent.lookup(ids[0], ids[1], since, RECENT_LIMIT)

    def _segments(self, s: Session, profile_id: str) -> frozenset[str]:
        rows = s.fetchall("SELECT segment_id FROM segment_members WHERE profile_id = ?",
                          [profile_id], step="recommend.segments")  # fmt: skip
        return frozenset(str(r[0]) for r in rows)

    def for_profile(
        self,
        profile_id: str,
        *,
        k: int,
        context: str,
        cart: Sequence[str],
        placement: str,
        now: datetime,
        record: bool = True,
    ) -> Recommendations:
        """Items for the person; ``record=False`` previews them (the dashboard's Profile 360)
        without logging them as served, so previews never count as impressions."""
        kind, sku = parse_context(context)
        snap = self.index.get()
        index, rules = snap.index, snap.rules
        if sku is not None and sku not in index.known_items:
            raise NotFoundError(f"no item {sku!r} in the catalog or the interactions")
        with self.store.session() as s:
            ids = snap.people.lookup(s, profile_id)
            if ids is None:
                raise NotFoundError(f"no profile {profile_id!r}")
            consent = snap.people.consent.get(profile_id)
            personal = consent if consent is not None else not self.settings.personalization_opt_in
            recent = self._recent(ids, index.trained_at) if personal else []
            cold = personal and profile_id not in index.candidates.keys
            history = not cold or any(i for e, i, _ in recent)
            reason = why_not_personal(
                self.settings, consent=consent, trained=index.version is not None, history=history
            )
            need_segments = bool(rules.segment_filters) or cold
            segments = self._segments(s, profile_id) if need_segments else frozenset()
        pool, exclude = _context_pool(index, kind, sku, cart, recent)
        if personal:
            pool += _personal_pool(index, profile_id, recent)
        pool.append(_trending(index, profile_id, recent, segments if personal else None))
        scores: dict[str, float] = {}
        for ranked in pool:
            for item, score in ranked:
                scores[item] = scores.get(item, 0.0) + score
        bought = {i for e, i, _ in recent if e == "Order Completed" and i}
        # Filtering out what someone bought reads their history too: only with consent.
        purchased = (
            frozenset(i for i, _ in index.purchased.get(profile_id)) | bought
            if personal
            else frozenset()
        )
        chosen = apply_rules(
            rules,
            sorted(scores.items(), key=lambda kv: -kv[1]),
            person=Person(purchased=purchased, segments=segments),
            category=index.category,
            available=index.available,
            exclude=frozenset(exclude),
            k=k,
        )
        return self._answer(index, chosen, profile_id, placement, context,
                            reason=reason, now=now, record=record)  # fmt: skip

    def similar(self, sku: str, *, k: int, now: datetime) -> Recommendations:
        snap = self.index.get()
        index, rules = snap.index, snap.rules
        if sku not in index.known_items:
            raise NotFoundError(f"no item {sku!r} in the catalog or the interactions")
        chosen = apply_rules(
            rules.model_copy(update={"exclude_purchased": False, "segment_filters": []}),
            index.similar.get(sku),
            person=Person(purchased=frozenset(), segments=frozenset()),
            category=index.category,
            available=index.available,
            exclude=frozenset({sku}),
            k=k,
        )
        return self._answer(index, chosen, None, "similar", f"product:{sku}",
                            reason="similar items: the same for everyone", now=now)  # fmt: skip

    def _answer(
        self,
        index: Index,
        chosen: Ranked,
        profile_id: str | None,
        placement: str,
        context: str,
        *,
        reason: str | None,
        now: datetime,
        record: bool = True,
    ) -> Recommendations:
        """The answer, logged (unless a preview); personalized unless a ``reason`` says why not."""
        rec_id = uuid.uuid4().hex
        items = [
            RecommendedItem(
                item_id=item, score=round(score, 6), category=index.category.get(item),
                **{k: index.catalog.get(item, {}).get(k) for k in _ITEM_FIELDS},
            )
            for item, score in chosen
        ]  # fmt: skip
        personalized = reason is None
        shown = json.dumps([i for i, _ in chosen])
        if record:
            self.log.add((rec_id, profile_id, placement, context, shown, index.version,
                          personalized, now))  # fmt: skip
        return Recommendations(
            recommendation_id=rec_id,
            profile_id=profile_id,
            placement=placement,
            context=context,
            personalized=personalized,
            reason=reason,
            model_version=index.version,
            items=items,
        )
