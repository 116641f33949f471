"""The home page's figures in one answer: activity and revenue (reports), messages (channels),
journeys, and each model's status (predict), over the last 30 local days against the 30 before.

Each piece lives in the domain that owns its data; this module only gathers them, so it sits
above every domain (beside ``workspace`` in the layer contract: it reads, it wires nothing).
The answer is kept for ``max_age_s`` per workspace (a few scans of the events table are cheap
but not free on 20M events, and a home page is opened often); it says when it was computed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from unicx.channels.stats import MessageKpis, message_kpis
from unicx.config import Settings
from unicx.journeys.stats import JourneyCounts, journey_counts
from unicx.predict.status import ModelStatus, model_status
from unicx.reports.overview import ActivityKpis, activity, window_for
from unicx.store import Store

DEFAULT_MAX_AGE_S = 60.0


class Overview(BaseModel):
    start: date = Field(description="First local day of the 30 days.")
    end: date = Field(description="Local day after them (exclusive).")
    previous_start: date = Field(description="First day of the 30 days compared against.")
    timezone: str
    currency: str
    computed_at: datetime = Field(description="When these figures were computed.")
    age_s: float = Field(description="Seconds since computed_at when answered (cache).")
    max_age_s: float = Field(description="Figures older than this are computed again.")
    activity: ActivityKpis = Field(
        description="Events, active people, orders, revenue, buyers, conversion, profiles."
    )
    messages: MessageKpis
    journeys: JourneyCounts
    models: list[ModelStatus]


@dataclass
class _Kept:
    at: float
    answer: Overview


_cache: dict[str, _Kept] = {}
_lock = threading.Lock()


def compute(store: Store, settings: Settings, *, now: datetime | None = None) -> Overview:
    """The figures, computed now (no cache)."""
    window, previous = window_for(settings, now)
    kpis = activity(store, settings, now=now)
    messages = message_kpis(
        store,
        tz=settings.timezone,
        days=[d.day for d in kpis.events.series],
        start=window.at(window.start),
        end=window.at(window.end),
        previous=window.at(previous),
    )
    return Overview(
        start=window.start,
        end=window.end,
        previous_start=previous,
        timezone=settings.timezone,
        currency=settings.currency,
        computed_at=now or datetime.now(UTC),
        age_s=0.0,
        max_age_s=0.0,
        activity=kpis,
        messages=messages,
        journeys=journey_counts(store),
        models=model_status(store),
    )


def overview(store: Store, settings: Settings, *, max_age_s: float = DEFAULT_MAX_AGE_S) -> Overview:
    """The figures, from the cache when younger than ``max_age_s`` (0: always computed)."""
    key = f"{settings.db_path}|{settings.timezone}|{settings.currency}"
    with _lock:
        kept = _cache.get(key)
    age = time.monotonic() - kept.at if kept is not None else None
    if kept is None or age is None or age > max_age_s:
        answer = compute(store, settings)
        kept = _Kept(time.monotonic(), answer)
        with _lock:
            _cache[key] = kept
        age = 0.0
    return kept.answer.model_copy(update={"age_s": round(age, 3), "max_age_s": max_age_s})


def forget() -> None:
    """Drop every kept answer (tests; after an import that changes history)."""
    with _lock:
        _cache.clear()
