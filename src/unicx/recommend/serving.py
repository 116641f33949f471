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
from typing import Any

from unicx.config import Settings
from unicx.errors import NotFoundError, ValidationError
from unicx.recommend.index import Index, IndexHolder, Ranked
from unicx.recommend.rules import Person, apply_rules, load_rules
from unicx.store import Session, Store

RECENT_LIMIT = 20
CONTEXTS = ("home", "product", "cart")

RECENT_SQL = """
SELECT event, coalesce(properties->>'$.product_id', properties->>'$.sku') AS item, country
FROM events
WHERE timestamp > $since AND event IN ('Product Viewed', 'Product Added', 'Order Completed')
  AND (user_id IN (SELECT unnest($users)) OR anonymous_id IN (SELECT unnest($anons)))
ORDER BY timestamp DESC LIMIT $limit
"""


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


class Recommender:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.index = IndexHolder(store)

    # -- what we know about the person -------------------------------------------------------

    def _person(self, s: Session, profile_id: str, since: datetime | None) -> dict[str, Any]:
        if s.fetchone("SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id],
                      step="recommend.profile") is None:  # fmt: skip
            raise NotFoundError(f"no profile {profile_id!r}")
        consent = s.fetchone(
            "SELECT granted FROM consents WHERE profile_id = ? AND purpose = 'personalization'",
            [profile_id],
            step="recommend.consent",
        )
        allowed = bool(consent[0]) if consent else not self.settings.personalization_opt_in
        ids = s.fetchall(
            "SELECT id_type, id_value FROM identities WHERE profile_id = ? "
            "AND id_type IN ('user_id', 'anonymous_id')",
            [profile_id],
            step="recommend.ids",
        )
        recent: list[tuple[str, str | None, str | None]] = []
        if since is not None and ids:
            recent = [
                (str(e), i, c)
                for e, i, c in s.fetchall(
                    RECENT_SQL,
                    {
                        "since": since,
                        "users": [v for t, v in ids if t == "user_id"],
                        "anons": [v for t, v in ids if t == "anonymous_id"],
                        "limit": RECENT_LIMIT,
                    },
                    step="recommend.recent",
                )
            ]
        return {"personalized": allowed, "recent": recent}

    def _segments(self, s: Session, profile_id: str) -> frozenset[str]:
        rows = s.fetchall("SELECT segment_id FROM segment_members WHERE profile_id = ?",
                          [profile_id], step="recommend.segments")  # fmt: skip
        return frozenset(str(r[0]) for r in rows)

    # -- answers -----------------------------------------------------------------------------

    def for_profile(
        self,
        profile_id: str,
        *,
        k: int,
        context: str,
        cart: Sequence[str],
        placement: str,
        now: datetime,
    ) -> dict[str, Any]:
        kind, sku = parse_context(context)
        index = self.index.get()
        if sku is not None and sku not in index.known_items:
            raise NotFoundError(f"no item {sku!r} in the catalog or the interactions")
        rules = None
        with self.store.session() as s:
            person = self._person(s, profile_id, index.trained_at)
            rules = load_rules(s)
            segments = self._segments(s, profile_id) if rules.segment_filters else frozenset()
        recent = person["recent"] if person["personalized"] else []
        bought = {i for e, i, _ in recent if e == "Order Completed" and i}
        touched = [i for e, i, _ in recent if e != "Order Completed" and i]
        country = next((c for _, _, c in recent if c), None)
        pool: list[Ranked] = []
        exclude: set[str] = set()
        if kind == "product" and sku is not None:
            pool.append(_normalized(index.similar.get(sku), 2.0))
            exclude.add(sku)
        if kind == "cart":
            basket = list(cart) or [i for e, i, _ in recent if e == "Product Added" and i]
            for item in basket[:20]:
                pool.append(_normalized(index.similar.get(item), 1.5))
            exclude.update(basket)
        if person["personalized"]:
            pool.append(_normalized(index.candidates.get(profile_id), 1.0))
            for n, item in enumerate(dict.fromkeys(touched).keys()):
                pool.append(_normalized(index.similar.get(item), 0.8 / (1 + n)))
        trending = index.trending.get(f"country:{country}") if country else []
        pool.append(_normalized(trending or index.trending.get("global:"), 0.1))
        scores: dict[str, float] = {}
        for ranked in pool:
            for item, score in ranked:
                scores[item] = scores.get(item, 0.0) + score
        # Filtering out what someone bought reads their history too: only with consent.
        purchased = (
            frozenset(i for i, _ in index.purchased.get(profile_id)) | bought
            if person["personalized"]
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
                            personalized=bool(person["personalized"]), now=now)  # fmt: skip

    def similar(self, sku: str, *, k: int, now: datetime) -> dict[str, Any]:
        index = self.index.get()
        if sku not in index.known_items:
            raise NotFoundError(f"no item {sku!r} in the catalog or the interactions")
        with self.store.session() as s:
            rules = load_rules(s)
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
                            personalized=False, now=now)  # fmt: skip

    def _answer(
        self,
        index: Index,
        chosen: Ranked,
        profile_id: str | None,
        placement: str,
        context: str,
        *,
        personalized: bool,
        now: datetime,
    ) -> dict[str, Any]:
        rec_id = uuid.uuid4().hex
        items = [
            {
                "item_id": item,
                "score": round(score, 6),
                "category": index.category.get(item),
                **{k: index.catalog.get(item, {}).get(k) for k in ("name", "price", "image",
                                                                    "url")},
            }
            for item, score in chosen
        ]  # fmt: skip
        with self.store.session() as s:
            s.execute(
                "INSERT INTO rec_served VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rec_id, profile_id, placement, context, json.dumps([i for i, _ in chosen]),
                 index.version, personalized, now],
                step="recommend.log",
            )  # fmt: skip
        return {
            "recommendation_id": rec_id,
            "profile_id": profile_id,
            "placement": placement,
            "context": context,
            "personalized": personalized,
            "model_version": index.version,
            "items": items,
        }
