"""Next best action: which offer a person sees in a placement, logged for evaluation.

1. Unknown profile or placement (no active offer) -> NotFoundError.
2. Without the ``personalization`` consent, or in the placement's holdout (a stable hash of the
   profile id), the person gets the placement's default offer rendered without traits.
3. Otherwise the non-default offers whose eligibility holds compete, highest priority first;
   contextual Thompson sampling with epsilon exploration picks one (bandit.py). Nothing
   eligible: the default offer (or no offer, when the placement has no default).
4. Every answer with an offer is logged in ``decisions`` with its propensity, and the policy's
   choices add a trial to ``offer_stats`` (outcomes.py).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.config import Settings
from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.personalize import eligibility, templates
from unicx.personalize.bandit import ThompsonPolicy
from unicx.personalize.models import DecidedOffer, Decision, PlacementPublic
from unicx.personalize.offers import read_placement
from unicx.personalize.outcomes import count_trial, load_stats, sync_outcomes
from unicx.personalize.person import (
    RecProvider,
    bucket_of,
    context_of,
    in_holdout,
    personalization_allowed,
    top_products_provider,
    traits_of,
)
from unicx.personalize.sensitive import sensitive_traits
from unicx.store import Session, Store

RECOMMENDATIONS_K = 6
MAX_TEXT = 64
# Decisions write counters: within the process they take turns instead of failing on
# DuckDB's write-write conflict detection.
_write_lock = threading.Lock()


@dataclass(frozen=True)
class _Offer:
    offer_id: str
    name: str
    channel: str
    template: str
    locale: str
    priority: int
    weight: float
    is_default: bool
    version: int
    eligibility: str | None


def _check_text(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
        raise ValidationError(
            f"{name}: at most {MAX_TEXT} printable characters",
            issues=[FieldIssue(name, "text", f"at most {MAX_TEXT} printable characters")],
        )
    return value


class Decider:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        recommendations: RecProvider | None = None,
        seed: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.recommendations = recommendations
        self.seed = seed

    def decide(
        self,
        profile_id: str,
        *,
        placement: str,
        now: datetime,
        device: str | None = None,
        country: str | None = None,
        record: bool = True,
    ) -> Decision:
        """The offer for the person; ``record=False`` previews it (the dashboard's Profile 360):
        nothing is logged or counted as a trial, so the bandit never learns from a preview, and
        the preview has no decision_id to report outcomes against."""
        device, country = _check_text("device", device), _check_text("country", country)
        with self.store.session() as s:
            if not s.fetchone(
                "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="personalize.p"
            ):
                raise NotFoundError(f"no profile {profile_id[:64]!r}")
            policy = read_placement(s, placement)
            offers = _offers(s, placement)
            default = next((o for o in offers if o.is_default), None)
            allowed = personalization_allowed(s, self.settings, profile_id)
            traits = traits_of(s, profile_id, sensitive_traits(s)) if allowed else {}
            context = context_of(traits, device=device, country=country, now=now,
                                 timezone=self.settings.timezone)  # fmt: skip
            base = {"profile_id": profile_id, "placement": placement, "context": context}
            if not allowed:
                return self._fallback(s, default, base, "no_consent", now=now, record=record)
            if in_holdout(profile_id, placement, policy.holdout_percent):
                return self._fallback(s, default, base, "holdout", now=now, record=record)
            chosen = self._eligible(s, profile_id, [o for o in offers if not o.is_default], now)
            if not chosen:
                return self._fallback(s, default, base, "no_eligible", now=now, record=record)
            return self._choose(s, chosen, policy, traits, base, now=now, record=record)

    def _eligible(
        self, s: Session, profile_id: str, offers: list[_Offer], now: datetime
    ) -> list[_Offer]:
        ws = str(self.store.path)
        compiled = [
            (o.offer_id, eligibility.compiled_for(s, ws, o.offer_id, o.version, o.eligibility))
            for o in offers
        ]
        ok = set(eligibility.eligible(s, profile_id, compiled, now=now))
        found = [o for o in offers if o.offer_id in ok]
        top = max((o.priority for o in found), default=0)
        return [o for o in found if o.priority == top]

    def _choose(
        self,
        s: Session,
        offers: list[_Offer],
        policy: PlacementPublic,
        traits: dict[str, Any],
        base: dict[str, Any],
        *,
        now: datetime,
        record: bool = True,
    ) -> Decision:
        bucket = bucket_of(base["context"])
        ids = [o.offer_id for o in offers]
        with _write_lock, s.transaction():
            version = sync_outcomes(s, now=now)
            stats = load_stats(s, base["placement"], ids, bucket, reward=policy.reward)
            bandit = ThompsonPolicy(epsilon=policy.epsilon, seed=self.seed, stats=stats)
            choice = bandit.choose(ids, bucket, weights={o.offer_id: o.weight for o in offers})
            offer = next(o for o in offers if o.offer_id == choice.arm)
            content = self._render(offer, traits, base, personalized=True, now=now)
            decision = Decision(
                decision_id=uuid.uuid4().hex if record else None, offer=content,
                propensity=choice.propensity, holdout=False, personalized=True, reason="policy",
                **base,
            )  # fmt: skip
            if record:
                _log(s, decision, bucket, version, now)
                count_trial(s, base["placement"], offer.offer_id, bucket)
        return decision

    def _fallback(
        self,
        s: Session,
        default: _Offer | None,
        base: dict[str, Any],
        reason: str,
        *,
        now: datetime,
        record: bool = True,
    ) -> Decision:
        holdout = reason == "holdout"
        if default is None:
            return Decision(
                decision_id=None,
                offer=None,
                propensity=1.0,
                holdout=holdout,
                personalized=False,
                reason=reason,
                **base,
            )
        content = self._render(default, {}, base, personalized=False, now=now)
        decision = Decision(decision_id=uuid.uuid4().hex if record else None, offer=content,
                            propensity=1.0, holdout=holdout, personalized=False, reason=reason,
                            **base)  # fmt: skip
        if not record:
            return decision
        with _write_lock, s.transaction():
            _log(s, decision, bucket_of(base["context"]), 0, now)
        return decision

    def _render(
        self, offer: _Offer, traits: dict[str, Any], base: dict[str, Any], *, personalized: bool,
        now: datetime,
    ) -> DecidedOffer:  # fmt: skip
        context: dict[str, Any] = {
            "traits": traits,
            "offer": {"offer_id": offer.offer_id, "name": offer.name},
            "placement": base["placement"],
            "locale": offer.locale,
            "personalized": personalized,
            "now": now.isoformat(),
            "recommendations": [],
            "__tz": self.settings.timezone,
        }
        if "recommendations" in offer.template:  # cheap pre-check; the provider may query
            provider = self.recommendations or top_products_provider(
                self.store, self.settings, now=now
            )
            who = base["profile_id"] if personalized else None
            context["recommendations"] = provider(who, RECOMMENDATIONS_K)
        content = templates.render(offer.template, context, channel=offer.channel)
        return DecidedOffer(offer_id=offer.offer_id, name=offer.name, channel=offer.channel,
                            content=content)  # fmt: skip


def _offers(s: Session, placement: str) -> list[_Offer]:
    rows = s.fetchall(
        "SELECT offer_id, name, channel, template, locale, priority, weight, is_default, "
        "version, eligibility FROM offers WHERE status = 'active' AND placement = ? "
        "ORDER BY priority DESC, offer_id",
        [placement],
        step="personalize.placement_offers",
    )
    return [
        _Offer(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), float(r[6]),
               bool(r[7]), int(r[8]), None if r[9] is None else str(r[9]))
        for r in rows
    ]  # fmt: skip


def _log(s: Session, d: Decision, bucket: str, version: int, now: datetime) -> None:
    s.execute(
        "INSERT INTO decisions (decision_id, profile_id, placement, offer_id, context, bucket, "
        "propensity, holdout, reason, state_version, decided_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [d.decision_id, d.profile_id, d.placement, d.offer.offer_id if d.offer else None,
         json.dumps(d.context), bucket, d.propensity, d.holdout, d.reason, version, now],
        step="personalize.decision_log",
    )  # fmt: skip
