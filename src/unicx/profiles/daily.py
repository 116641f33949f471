"""The daily full traits refresh while the server runs.

Incremental refreshes follow events, but some traits move with the calendar alone: days since
the last order, spend in the last 30/90/365 days, RFM recency. A person who buys nothing still
becomes "at risk". So once per local day (workspace time zone) the server refreshes every
profile's traits, recording the day in ``workspace_meta`` so a restart does not repeat it. The
runtime calls :meth:`DailyTraitsRefresh.run_if_due` at start and every :data:`CHECK_EVERY_S`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from unicx.config import Settings
from unicx.profiles.traits import refresh_workspace
from unicx.store import Store

log = logging.getLogger(__name__)

DAY_KEY = "traits.refreshed_on"
CHECK_EVERY_S = 300.0


@dataclass(frozen=True)
class DailyTraitsRefresh:
    """Refreshes every profile's traits once per local day (``clock``: tests move it)."""

    store: Store
    settings: Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), kw_only=True)

    def today(self) -> date:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone)).date()

    def last_day(self) -> date | None:
        with self.store.session() as s:
            row = s.fetchone(
                "SELECT value FROM workspace_meta WHERE key = ?", [DAY_KEY], step="traits.day"
            )
        return date.fromisoformat(str(row[0])) if row else None

    def run_if_due(self) -> bool:
        """Refresh unless today's refresh already ran; True if it ran now."""
        today = self.today()
        last = self.last_day()
        if last is not None and last >= today:
            return False
        report = refresh_workspace(self.store, self.settings, now=self.clock())
        with self.store.session() as s:
            s.execute(
                "INSERT INTO workspace_meta VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [DAY_KEY, today.isoformat()],
                step="traits.day_write",
            )
        log.info("daily traits refresh for %s: %d profiles", today, report.profiles)
        return True
