"""Public models of segments: what the API and CLI send and receive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Kind = Literal["custom", "template", "persona", "lookalike"]


class SegmentCreate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    definition: dict[str, Any] = Field(
        description='Condition tree: docs/segments.md (e.g. {"all": [...]}).'
    )
    kind: Kind = "custom"


class SegmentUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    definition: dict[str, Any] | None = None


class DefinitionBody(BaseModel):
    model_config = {"extra": "forbid"}

    definition: dict[str, Any]


class SegmentPublic(BaseModel):
    segment_id: str
    name: str
    description: str
    kind: str
    version: int
    definition: dict[str, Any]
    status: str
    size: int
    created_at: datetime
    updated_at: datetime
    refreshed_at: datetime | None = None


class Issue(BaseModel):
    field: str
    rule: str
    message: str


class Validation(BaseModel):
    valid: bool
    sql: str = Field(description="The compiled query ($pN are bound parameters).")
    warnings: list[Issue] = []
    time_windows: bool = Field(description="Membership also changes as time passes.")
    depends_on_others: bool = Field(
        description="Uses rank thresholds or launch dates: refreshed in full on a schedule."
    )
    references: list[str] = []


class Preview(BaseModel):
    count: int
    sample: list[dict[str, Any]]
    seconds: float
    warnings: list[Issue] = []


class Member(BaseModel):
    profile_id: str
    entered_at: datetime
    traits: dict[str, Any] = {}


class MemberPage(BaseModel):
    segment_id: str
    size: int
    members: list[Member]
    next_cursor: str | None = None


class Change(BaseModel):
    change_id: int
    event: Literal["Segment Entered", "Segment Exited"]
    segment_id: str
    profile_id: str
    occurred_at: datetime
    version: int
    reason: str


class SizePoint(BaseModel):
    day: date
    size: int
    entered: int
    exited: int


class SegmentUsage(BaseModel):
    kind: Literal["segment", "journey", "offer", "audience"]
    id: str
    name: str


class SegmentDeleted(BaseModel):
    segment_id: str
    used_by: list[SegmentUsage] = Field(
        description="What referred to the segment when it was deleted with force=true: their "
        "conditions on it are now false (journeys no longer enter, offers no longer match, "
        "audience syncs upload nobody)."
    )


class ProfileSegment(BaseModel):
    segment_id: str
    name: str
    entered_at: datetime


class RefreshResult(BaseModel):
    segments: int
    entered: int
    exited: int
    seconds: float
    per_segment: dict[str, dict[str, int]] = {}


Algorithm = Literal["kmeans", "minibatch_kmeans"]


class PersonaFeature(BaseModel):
    feature: str
    cluster_mean: float
    overall_mean: float
    difference_sd: float


class Persona(BaseModel):
    persona: str
    segment_id: str
    name: str
    size: int
    description: str
    top_features: list[PersonaFeature]


class PersonaRun(BaseModel):
    model_version: str
    k: int
    algorithm: Algorithm
    profiles: int
    features: list[str]
    personas: list[Persona]
    seconds: float


class LookalikeRequest(BaseModel):
    """Exactly one of ``top`` (people) or ``top_percent`` (of everyone outside the seed)."""

    model_config = {"extra": "forbid"}

    top: int | None = Field(default=None, ge=1, le=10_000_000)
    top_percent: float | None = Field(default=None, gt=0, le=50)
    name: str | None = Field(default=None, min_length=1, max_length=100)


class LookalikeRecovery(BaseModel):
    holdout: int = Field(description="Seed members held out of training (20 %).")
    recall_at_top: float = Field(description="Share of held-out members ranked in the top.")
    random_recall: float = Field(description="What a random ranking would recover.")
    precision_at_top: float = Field(
        description="Share of that top that are held-out members (recall is capped at top "
        "size / held-out members when the seed is larger than the audience)."
    )
    auc: float = Field(description="ROC AUC of held-out members against everyone else.")


class LookalikeRun(BaseModel):
    segment: SegmentPublic
    seed_id: str
    seed_size: int
    candidates: int = Field(description="Profiles outside the seed that were scored.")
    audience: int = Field(description="The top N asked for (top_percent resolved to people).")
    size: int
    trait: str
    threshold: float
    model: str
    model_version: str
    recovery: LookalikeRecovery
    seconds: float
