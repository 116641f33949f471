"""What Profile 360 shows, gathered from the domain services the API routes call.

The page reads the person as a marketer would: who they are (name, contacts, place), what they
are worth (revenue, CLV, churn band, persona), what they are in (segments, journeys) and may
receive (consent); the timeline and the recommendations load as fragments after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unicx.api.context import AppContext
from unicx.identity.models import Identifier, MergeRecord
from unicx.identity.service import IdentityService
from unicx.journeys.person import PersonRun, runs_of
from unicx.predict.person import Prediction, predictions_of
from unicx.privacy.consent import get_consent
from unicx.privacy.models import ConsentState
from unicx.profiles.search import FIRST_TRAITS, LAST_TRAITS, NAME_TRAITS
from unicx.profiles.service import ProfilePublic, ProfileService
from unicx.segments.models import ProfileSegment
from unicx.segments.service import SegmentService

MAX_MERGES = 50
# Model outputs shown as the person's predictions, in this order (others go under the rest).
PREDICTIONS = ("clv", "churn_band", "churn_risk", "probability_alive", "expected_spend",
               "predicted_purchases_90d", "persona")  # fmt: skip
PLACE_TRAITS = {"city": ("city",), "province": ("province", "state", "region"),
                "country": ("country",)}  # fmt: skip


@dataclass
class Profile360:
    profile: ProfilePublic
    predictions: dict[str, Prediction]
    segments: list[ProfileSegment]
    consent: dict[str, ConsentState]
    merges: list[MergeRecord]
    journeys: list[PersonRun]
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def identifiers(self) -> list[Identifier]:
        return self.profile.identifiers

    @property
    def prediction_rows(self) -> list[Prediction]:
        first = [self.predictions[n] for n in PREDICTIONS if n in self.predictions]
        rest = [p for n, p in sorted(self.predictions.items()) if n not in PREDICTIONS]
        return first + rest


def load(ctx: AppContext, profile_id: str) -> Profile360:
    """Everything the first paint of Profile 360 needs (NotFoundError for an unknown id)."""
    profile = ProfileService(ctx.store).get(profile_id)
    predictions = predictions_of(ctx.store, profile_id)
    merges = IdentityService(ctx.store, ctx.settings).list_merges(
        profile_id=profile_id, limit=MAX_MERGES
    )
    page = Profile360(
        profile=profile,
        predictions=predictions,
        segments=SegmentService(ctx.store, ctx.settings).of_profile(profile_id),
        consent=get_consent(ctx.store, profile_id).purposes,
        merges=merges,
        journeys=runs_of(ctx.store, profile_id),
    )
    page.header = header(profile, predictions)
    return page


def header(profile: ProfilePublic, predictions: dict[str, Prediction]) -> dict[str, Any]:
    """Name, contacts, place, activity and value: the card at the top of the page."""
    traits, computed = profile.traits, profile.computed_traits
    value = {n: p.value for n, p in predictions.items()}
    return {
        "name": display_name(traits),
        "email": latest(profile.identifiers, "email"),
        "phone": latest(profile.identifiers, "phone"),
        **{key: place(traits, names) for key, names in PLACE_TRAITS.items()},
        "first_seen": as_time(computed.get("first_seen")),
        "last_seen": as_time(computed.get("last_seen")),
        "revenue": computed.get("revenue"),
        "orders": computed.get("orders_count"),
        "clv": value.get("clv"),
        "churn_band": value.get("churn_band"),
        "persona": value.get("persona"),
    }


def display_name(traits: dict[str, Any]) -> str | None:
    """The name the person gave, as search shows it (full name, else last + first)."""
    for name in NAME_TRAITS:
        if isinstance(traits.get(name), str) and traits[name].strip():
            return str(traits[name])
    parts = [_first_text(traits, LAST_TRAITS), _first_text(traits, FIRST_TRAITS)]
    return " ".join(p for p in parts if p) or None


def _first_text(traits: dict[str, Any], names: tuple[str, ...]) -> str | None:
    return next((str(traits[n]) for n in names if isinstance(traits.get(n), str)), None)


def latest(identifiers: list[Identifier], id_type: str) -> str | None:
    found = [i for i in identifiers if i.id_type == id_type]
    return max(found, key=lambda i: i.last_seen).id_value if found else None


def place(traits: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """A place trait, or the same key inside ``address`` (Segment's spec puts it there)."""
    address = traits.get("address")
    for name in names:
        for source in (traits, address if isinstance(address, dict) else {}):
            if isinstance(source.get(name), str) and source[name].strip():
                return str(source[name])
    return None


def as_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _(text: str) -> str:
    """Marks a label for extraction; templates translate it when they render."""
    return text


# Values the templates translate: consent purposes, churn bands, timeline message states.
LABELS = (_("email"), _("sms"), _("push"), _("ads"), _("personalization"),
          _("high"), _("medium"), _("low"))  # fmt: skip
