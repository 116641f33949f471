"""Public (API) models of the journeys domain: journeys as saved, their validation, migration,
statistics and simulation. Request bodies of definitions are ``segments.models.DefinitionBody``
(one JSON document under ``definition``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EventName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Rate = Annotated[float, Field(ge=0, le=1)]


class MigrateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_version: int = Field(ge=1, le=1_000_000)
    to_version: int | None = Field(default=None, ge=1, le=1_000_000)


class JourneyRow(BaseModel):
    journey_id: str
    name: str
    status: str = Field(description="draft, published, paused or archived")
    latest_version: int
    published_version: int | None
    created_at: datetime
    updated_at: datetime


class JourneySummary(JourneyRow):
    """A journey in the list, with its people."""

    in_progress: int
    entered: int


class JourneyPublic(JourneyRow):
    definition: dict[str, Any] | None = Field(description="The latest version's definition")
    entered_version: int = Field(description="The version new entrants get")


class JourneyVersion(BaseModel):
    """One saved definition of a journey."""

    version: int
    created_at: datetime
    published_at: datetime | None = Field(description="When it first went live, if ever")
    nodes: int


class JourneyValidation(BaseModel):
    valid: bool
    nodes: int
    name: str


class MigrationResult(BaseModel):
    moved: int
    stayed: int = Field(description="People on a node the target version lacks")
    to_version: int


class JourneyTotals(BaseModel):
    entered: int
    in_progress: int
    holdout: int
    converted: int


class NodeStats(BaseModel):
    outcomes: dict[str, int] = Field(description="People per outcome")
    visits: int
    # Absent (not null) when nobody waits there, as the answer always was.
    now_here: int | None = Field(default=None, exclude_if=lambda value: value is None)


class GroupConversion(BaseModel):
    people: int
    converted: int
    rate: float | None


class Uplift(BaseModel):
    difference: float
    ci95: list[float] = Field(description="Newcomb's 95 % interval of the difference")
    significant: bool


class GoalConversion(BaseModel):
    messaged: GroupConversion
    holdout: GroupConversion
    median_time_to_convert_s: float | None
    uplift: Uplift | None


class BranchConversion(BaseModel):
    """Goal conversion of the people messaged who left a node by one outcome."""

    node_id: str
    outcome: str
    people: int
    converted: int


class StageConversion(BaseModel):
    stage: str
    people: int
    converted: int


class JourneyStats(BaseModel):
    journey_id: str
    name: str
    status: str
    entered: int
    in_progress: int
    holdout: int
    converted: int
    exits: dict[str, int]
    nodes: dict[str, NodeStats]
    messages: dict[str, dict[str, int]] = Field(description="Channel → status → messages")
    engagement: dict[str, int] = Field(description="Event (opened, clicked, …) → messages")
    goal: GoalConversion
    stages: list[StageConversion]


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] | None = Field(default=None, description="A definition, or:")
    journey: str | None = Field(default=None, max_length=200, description="a saved journey")
    audience: int = Field(default=1000, ge=1, le=100_000, description="People to simulate")
    generated: bool = Field(default=False, description="Made-up people instead of a sample")
    profiles: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=1000,
        description="These profiles (profile ids) instead of a sample: where would they go",
    )
    days: float = Field(default=30, gt=0, le=366, description="Simulated horizon")
    event_rates: dict[EventName, Rate] = Field(
        default_factory=dict,
        max_length=50,
        description="Event name → probability (0-1) that a person does it within the horizon",
    )
    condition_rate: float = Field(default=0.5, ge=0, le=1)
    seed: int = Field(default=7, ge=0, le=2**63 - 1)


class SimulatedNode(BaseModel):
    reached: int
    outcomes: dict[str, int]


class SimulationResult(BaseModel):
    people: int
    days: float
    nodes: dict[str, SimulatedNode]
    exits: dict[str, int]
    in_progress: int
    messages: dict[str, int] = Field(description="Channel → messages that would be sent")
    converted: int


class ClockPublic(BaseModel):
    """The journeys' clock (moved only with clock_control: tests and demos)."""

    now: datetime
    offset_s: float
