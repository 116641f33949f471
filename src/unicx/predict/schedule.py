"""Scheduled retraining while the server runs (setting ``train_interval_hours``).

Due when the newest run of any model is older than the interval (or there is none and the
workspace has orders). The runtime calls :meth:`TrainScheduler.run_if_due` every
:data:`CHECK_EVERY_S` on a background thread; a failed run is logged and retried, and the previous
outputs keep serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from unicx.config import Settings
from unicx.errors import ConflictError
from unicx.predict.service import train
from unicx.store import Store

log = logging.getLogger(__name__)
CHECK_EVERY_S = 600.0


@dataclass(frozen=True)
class TrainScheduler:
    """Trains every model when the last training is older than ``train_interval_hours``."""

    store: Store
    settings: Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), kw_only=True)

    def due(self) -> bool:
        hours = self.settings.train_interval_hours
        if hours <= 0:
            return False
        with self.store.session() as s:
            row = s.fetchone(
                "SELECT max(trained_at), (SELECT count(*) FROM (SELECT 1 FROM events "
                "WHERE event = 'Order Completed' LIMIT 1)) FROM models",
                step="train.last",
            )
        last, has_orders = (row[0], int(row[1])) if row else (None, 0)
        if last is None:
            return has_orders > 0
        return bool(self.clock() - last >= timedelta(hours=hours))

    def run_if_due(self) -> bool:
        if not self.due():
            return False
        try:
            outcomes = train(self.store, self.settings, names=None, now=self.clock())
        except ConflictError:
            # Someone is training right now (``unicx train``): that run counts as this one.
            log.info("scheduled training skipped: a training is already running")
            return False
        for o in outcomes:
            log.info("scheduled training %s: %s %s", o.model, o.status, o.message)
        return True
