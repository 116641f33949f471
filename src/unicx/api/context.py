"""What the routers share for the life of the server process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from unicx.auth.service import AccessService
from unicx.clock import Clock
from unicx.config import Settings
from unicx.ingest.models import Limits
from unicx.ingest.pool import ValidatorPool
from unicx.ingest.query import EventQuery
from unicx.ingest.writer import EventWriter
from unicx.profiles.pipeline import ProfileUpdater
from unicx.runtime.chain import MessagingWorkers, Runtime
from unicx.store import Store


@dataclass
class AppContext:
    settings: Settings
    store: Store
    access: AccessService
    writer: EventWriter
    events: EventQuery
    limits: Limits
    # The background work (writer, profile updater, journeys, schedulers) and its status.
    runtime: Runtime
    pool: ValidatorPool | None = None
    updater: ProfileUpdater | None = None
    # Created on first use by the recommendation routes (holds the in-memory serving index).
    recommender: Any = None
    # The journeys' clock (movable in tests with clock_control) and the journey/outbox workers.
    clock: Clock = field(default_factory=Clock)
    messaging: MessagingWorkers | None = None
