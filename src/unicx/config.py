"""One typed settings object for the whole process.

Values come, highest priority first, from keyword arguments, ``UNICX_*`` environment variables,
then ``unicx.toml`` in the workspace directory. Outside development, settings that would be unsafe
(debug tracebacks, personal data in logs) are refused at start-up rather than silently accepted.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from unicx.errors import ConfigError

DB_FILENAME = "unicx.duckdb"
CONFIG_FILENAME = "unicx.toml"
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*$")


class Settings(BaseSettings):
    """Process settings. Every field can be set as ``UNICX_<FIELD>`` or in ``unicx.toml``."""

    model_config = SettingsConfigDict(env_prefix="UNICX_", extra="forbid", frozen=True)

    workspace: Path = Field(
        default=Path("workspace"),
        description="Directory holding the workspace database and its config file.",
    )
    env: Literal["development", "production"] = Field(
        default="development",
        description="production refuses unsafe settings (see check_safe).",
    )
    host: str = Field(default="127.0.0.1", description="Interface `unicx serve` binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port of `unicx serve`.")
    debug: bool = Field(default=False, description="Return tracebacks in 500 bodies. Dev only.")
    log_level: str = Field(default="INFO", description="Python logging level name.")
    log_sql_params: bool = Field(
        default=False,
        description="Log SQL parameters with each statement (may contain personal data).",
    )
    flush_interval_ms: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description="Group commit: longest a request waits for others to join its flush.",
    )
    flush_max_events: int = Field(
        default=10_000, ge=1, description="Group commit: flush as soon as this many events wait."
    )
    max_event_bytes: int = Field(
        default=32 * 1024, ge=1024, description="Largest single event (Segment: 32 KB)."
    )
    max_batch_bytes: int = Field(
        default=500 * 1024, ge=1024, description="Largest batch request body (Segment: 500 KB)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body of any route without a limit of its own (traits, "
        "keys, segments, journeys, …); 413 beyond. Ingest, imports and the catalog feed keep "
        "theirs.",
    )
    max_depth: int = Field(
        default=32, ge=2, le=256, description="Deepest JSON nesting accepted inside one event."
    )
    max_id_length: int = Field(
        default=1024, ge=16, description="Longest userId/anonymousId/messageId/groupId accepted."
    )
    max_future_seconds: int = Field(
        default=24 * 3600,
        ge=0,
        description="Reject events whose corrected timestamp is this far ahead of receivedAt.",
    )
    min_timestamp: datetime = Field(
        default=datetime.fromisoformat("2000-01-01T00:00:00+00:00"),
        description="Reject events timestamped before this (historic imports go back to 2000).",
    )
    checkpoint_wal_mb: int = Field(
        default=256,
        ge=1,
        le=16_384,
        description=(
            "Checkpoint the database when its write-ahead log reaches this many MB. DuckDB's "
            "16 MB default checkpoints every ~16k events, and each checkpoint rewrites the open "
            "row group and stalls ingest for 0.2-1 s; a larger log means fewer stalls but a "
            "longer replay after a crash (about 1 s per 100 MB, bench/RESULTS.md)."
        ),
    )
    writer_threads: int = Field(
        default=1,
        ge=1,
        le=16,
        description=(
            "Threads appending events. Two overlap one flush's commit with the next (1.6x the "
            "in-process insert rate) but over HTTP the GIL bounds ingest and p99 got worse "
            "(bench/RESULTS.md), so one is the default."
        ),
    )
    ingest_processes: int = Field(
        default=1,
        ge=0,
        le=32,
        description=(
            "Worker processes that validate batch bodies off the server's GIL (0: validate "
            "in the server process)."
        ),
    )
    events_retention_days: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Delete events whose timestamp is older than this many days, at server start and "
            "daily after. None keeps events forever."
        ),
    )
    writer_queue_max: int = Field(
        default=200_000,
        ge=1000,
        description="Events allowed to wait for the writer before ingest answers 503.",
    )
    identity_limits: dict[str, int] = Field(
        default_factory=lambda: {
            "user_id": 1,
            "email": 5,
            "phone": 5,
            "device_id": 10,
            "anonymous_id": 1000,
        },
        description=(
            "Merge protection: most identifiers of a type one profile may hold. A link that "
            "would exceed it is recorded as a conflict instead of merging. Types not listed "
            "(custom ids) default to 5."
        ),
    )
    identity_priority: list[str] = Field(
        default_factory=lambda: ["user_id", "email", "phone", "device_id", "anonymous_id"],
        description=(
            "Most trusted identifier type first: when links conflict, the higher-priority "
            "identifiers decide which profile an event belongs to. Custom types rank after "
            "device_id."
        ),
    )
    match_auto_threshold: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Probabilistic matching: pairs at or above this probability merge.",
    )
    match_review_threshold: float = Field(
        default=0.7,
        gt=0,
        le=1,
        description="Pairs between this and match_auto_threshold go to the review list.",
    )
    import_max_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest file `POST /v1/imports` accepts (413 beyond); the CLI on a "
        "workspace no server holds reads files of any size.",
    )
    currency: str = Field(
        default="VND",
        min_length=3,
        max_length=3,
        description="Workspace currency (ISO 4217) for revenue traits and imports.",
    )
    timezone: str = Field(
        default="Asia/Ho_Chi_Minh",
        description="Workspace time zone: day boundaries of traits and reports.",
    )
    segments_edge_interval_s: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="How often the server re-evaluates profiles whose segment time window "
        "edge has passed (e.g. their order dropped out of 'in the last 30 days').",
    )
    segments_global_interval_s: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 86400,
        description="How often segments whose conditions depend on other profiles (top_percent, "
        "early_adopter) are refreshed in full.",
    )
    train_interval_hours: float = Field(
        default=24.0,
        ge=0,
        le=24 * 365,
        description="While the server runs, retrain every model (CLV, churn, recommendations) "
        "when the newest run is older than this; 0 turns scheduled training off.",
    )
    personalization_opt_in: bool = Field(
        default=True,
        description="Personalize (recommendations from a person's history, offers on their "
        "traits) only for people who granted the `personalization` consent; false: unless "
        "they withdrew it. Everyone else gets non-personalized defaults.",
    )
    recommend_window_days: int = Field(
        default=365,
        ge=7,
        le=3650,
        description="Recommendations learn from the views, adds to cart and purchases of the "
        "last N days before training.",
    )
    recommend_attribution_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="An order of an item clicked in a recommendation is attributed to it when "
        "placed within N days after the click (GET /v1/reports/recommendations).",
    )
    churn_horizon_days: int = Field(
        default=90,
        ge=7,
        le=730,
        description="Churn label: a buyer who places no order in the next N days has churned.",
    )

    public_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s]+$",
        description="Base URL people's browsers reach unicx at, for unsubscribe, open-pixel and "
        "click links in messages and for where the browser SDKs' settings send events; "
        "default http://{host}:{port}.",
    )
    outbound_allow: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Internal destinations channels may connect to: networks in CIDR form "
        "(10.20.0.0/16), addresses (192.168.1.5) or host names (sms-gw.corp.local). Webhook, "
        "SMS/push provider URLs and the SMTP host are refused when they resolve to a loopback, "
        "private, link-local (cloud metadata), CGNAT, multicast or reserved address that is "
        "not listed here (docs/channels-sms-push-webhook.md).",
    )
    click_link_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="Days after a message is queued that its click and open links still "
        "count; later clicks go to the target without being recorded. Unsubscribe links "
        "never expire.",
    )
    duckdb_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Threads DuckDB runs one query on (None: one per core). A database-wide "
        "setting: fewer threads leave cores to the ingest writer and the event loop while "
        "large pipeline or segment queries run, at the price of slower large queries.",
    )
    pipeline_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="The most of the wall clock the realtime profile pipeline (identity, "
        "traits, consent, segments) spends in passes while commits keep coming: after a pass "
        "of d seconds the next waits d * (1 - share) / share, so under ingest load the passes "
        "grow and the pipeline lags instead of taking the writer's CPU.",
    )
    journeys_enabled: bool = Field(
        default=True,
        description="While the server runs, advance journeys and deliver queued messages.",
    )
    journey_tick_ms: float = Field(
        default=200,
        ge=10,
        le=60_000,
        description="How often the journey worker looks for due steps, new entries and events; "
        "bounds the lag between a due time and its step.",
    )
    journey_batch: int = Field(
        default=5000,
        ge=1,
        le=100_000,
        description="Journey runs advanced in one transaction (with the messages they queue).",
    )
    send_workers: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Threads delivering messages (SMTP, HTTP); providers are slow, DuckDB is not.",
    )
    clock_control: bool = Field(
        default=False,
        description="Allow POST /v1/clock to move the journey clock forward (tests, demos). "
        "Development only.",
    )
    crash_at: str = Field(
        default="",
        pattern=r"^((after_step_batch|after_claim|before_send|after_send):[1-9][0-9]{0,5})?$",
        description="Fault injection for the crash tests: 'point:n' SIGKILLs the server the "
        "n-th time messaging reaches point (after_step_batch, after_claim, before_send, "
        "after_send). Development only.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = _workspace_toml(init_settings)
        if toml_path is not None and toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allow(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not _HOST_NAME.match(entry):
                    raise ValueError(
                        f"{entry[:100]!r} is not a CIDR, address or host name"
                    ) from None
        return value

    @model_validator(mode="after")
    def check_safe(self) -> Settings:
        if self.env != "production":
            return self
        unsafe = []
        if self.debug:
            unsafe.append("debug=true exposes tracebacks to clients")
        if self.log_sql_params:
            unsafe.append("log_sql_params=true writes personal data to logs")
        if self.clock_control:
            unsafe.append("clock_control=true lets API callers move the journey clock")
        if self.crash_at:
            unsafe.append("crash_at kills the server on purpose")
        if unsafe:
            raise ValueError("unsafe settings for env=production: " + "; ".join(unsafe))
        return self

    @property
    def db_path(self) -> Path:
        return self.workspace / DB_FILENAME

    @property
    def base_url(self) -> str:
        """Where links in messages point (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def consent_model(self) -> str:
        """``opt-in`` or ``opt-out``: how ``personalization_opt_in`` reads to a person."""
        return "opt-in" if self.personalization_opt_in else "opt-out"

    @property
    def run_dir(self) -> Path:
        """Where a running server leaves its address and local admin token (mode 0700)."""
        return self.workspace / "run"


def _workspace_toml(init_settings: PydanticBaseSettingsSource) -> Path | None:
    """The workspace is itself a setting, so find it before reading the file inside it."""
    explicit: Any = init_settings().get("workspace")
    base = explicit if explicit is not None else os.environ.get("UNICX_WORKSPACE")
    return Path(base) / CONFIG_FILENAME if base else None


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error into a ConfigError that names the bad field."""
    from pydantic import ValidationError as PydanticValidationError

    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except PydanticValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
