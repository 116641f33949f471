"""Pydantic models of offers, placements, sensitivity marks and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["web", "email", "sms", "push", "in_app"]
Locale = Literal["vi", "en"]
Reward = Literal["click", "conversion"]
NAME = Field(min_length=1, max_length=100)
PLACEMENT = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class OfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = NAME
    placement: str = PLACEMENT
    channel: Channel = "web"
    description: str = Field(default="", max_length=1000)
    eligibility: dict[str, Any] | None = Field(
        default=None, description="A segment-language condition (docs/segments.md); none: all"
    )
    priority: int = Field(default=0, ge=-1000, le=1000)
    weight: float = Field(default=1.0, gt=0, le=1000, allow_inf_nan=False)
    template: str = Field(min_length=1, max_length=20_000)
    locale: Locale = "vi"
    is_default: bool = Field(
        default=False,
        description="The placement's non-personalized fallback (no consent, holdout, nothing "
        "eligible). At most one per placement.",
    )


class OfferUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    placement: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"
    )
    channel: Channel | None = None
    description: str | None = Field(default=None, max_length=1000)
    eligibility: dict[str, Any] | None = None
    clear_eligibility: bool = False
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    weight: float | None = Field(default=None, gt=0, le=1000, allow_inf_nan=False)
    template: str | None = Field(default=None, min_length=1, max_length=20_000)
    locale: Locale | None = None
    is_default: bool | None = None


class OfferPublic(BaseModel):
    offer_id: str
    name: str
    placement: str
    channel: str
    description: str
    eligibility: dict[str, Any] | None
    priority: int
    weight: float
    template: str
    locale: str
    is_default: bool
    version: int
    status: str
    created_at: datetime
    updated_at: datetime


class OfferValidation(BaseModel):
    valid: bool
    traits: list[str]
    uses_recommendations: bool
    sample: str


class PlacementSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    epsilon: float = Field(default=0.05, ge=0, le=1, allow_inf_nan=False)
    holdout_percent: float = Field(default=5.0, ge=0, le=50, allow_inf_nan=False)
    reward: Reward = "conversion"


class PlacementPublic(PlacementSettings):
    placement: str
    offers: int


class SensitivityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sensitive: bool = True
    category: str = Field(default="other", max_length=40)
    reason: str = Field(default="", max_length=500)


class SensitiveTrait(BaseModel):
    """A trait's sensitivity: an admin's mark, or a match of the default name patterns."""

    name: str
    sensitive: bool
    category: str
    reason: str
    marked_by: str | None
    updated_at: datetime | None = Field(description="Null for a pattern match")
    source: Literal["admin", "pattern"]


class DecidedOffer(BaseModel):
    offer_id: str
    name: str
    channel: str
    content: str


class Decision(BaseModel):
    decision_id: str | None
    profile_id: str
    placement: str
    offer: DecidedOffer | None
    propensity: float
    holdout: bool
    personalized: bool
    reason: Literal["policy", "holdout", "no_consent", "no_eligible"]
    context: dict[str, str]
