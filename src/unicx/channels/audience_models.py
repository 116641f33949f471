"""The ad-audience sync's API models: what a sync sends (its config), the create and update
bodies, a sync and a run as answered (the work is in :mod:`unicx.channels.audiences`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from unicx.channels.ads import DESTINATIONS
from unicx.clock import duration_seconds

Mode = Literal["full", "delta"]
KeyType = Literal["email", "phone"]
MODES: Final = ("full", "delta")
MAX_NAME: Final = 100
# Ad platforms take hours to match an uploaded list: more often than every 15 minutes only
# piles up uploads; less often than monthly is not a sync any more.
MIN_EVERY_S: Final = 15 * 60
MAX_EVERY_S: Final = 31 * 86400


class AudienceConfig(BaseModel):
    """What a sync sends."""

    model_config = ConfigDict(extra="forbid")

    identifiers: list[KeyType] = Field(
        default_factory=lambda: list[KeyType](["email", "phone"]),
        min_length=1,
        description="Identifier types to send (email, phone)",
    )
    every: str | None = Field(
        default=None,
        max_length=20,
        description="Run on its own this long after the last run while the server runs "
        "(15m to 31d, e.g. 6h, 1d, 1w); none: only when asked",
    )
    mode: Mode = Field(default="delta", description="What a scheduled run writes")

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is None:
            return None
        seconds = duration_seconds(value)  # ValueError names the accepted form
        if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
            raise ValueError("must be between 15m and 31d")
        return value.strip()

    @property
    def every_seconds(self) -> int | None:
        return None if self.every is None else duration_seconds(self.every)


class AudienceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    segment: str = Field(min_length=1, max_length=200, description="Segment id or name")
    destination: str = Field(min_length=1, max_length=64, description=", ".join(DESTINATIONS))
    config: dict[str, Any] = Field(default_factory=dict)


class AudienceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(description="Replaces the sync's config")


class AudienceSync(BaseModel):
    sync_id: str
    name: str
    slug: str = Field(description="Folder under {workspace}/audiences holding the files")
    segment_id: str
    destination: str
    config: AudienceConfig
    created_at: datetime
    last_run_at: datetime | None = None


class SyncRun(BaseModel):
    sync_id: str
    kind: Mode
    run_at: datetime
    added: int = Field(description="Identifiers sent now that the previous run did not send")
    removed: int = Field(description="Identifiers the previous run sent that are gone now")
    files: list[str] = Field(description="Written files, relative to the workspace")
