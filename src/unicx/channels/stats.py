"""Messages sent, suppressed and failed per local day, for the home page's figures.

One pass over ``messages``: a sent message counts on the day it was sent, a suppressed or
failed one on the day it was decided (its last update: those statuses are final).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from unicx.reports.overview import DayValue, KpiSeries, kpi
from unicx.store import Store

STATUS_COUNTS = ("sent", "suppressed", "failed")

DAILY_SQL = """
SELECT CAST(timezone($tz, coalesce(sent_at, updated_at)) AS DATE) AS day,
       coalesce(sent_at, updated_at) >= $start AS period,
       count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,
       count(*) FILTER (WHERE sent_at IS NULL AND status = 'suppressed') AS suppressed,
       count(*) FILTER (WHERE sent_at IS NULL AND status IN ('failed', 'dead')) AS failed
FROM messages
WHERE coalesce(sent_at, updated_at) >= $previous AND coalesce(sent_at, updated_at) < $end
GROUP BY GROUPING SETS ((day), (period))"""


class MessageKpis(BaseModel):
    sent: KpiSeries = Field(description="Messages handed to a provider, per day sent.")
    suppressed: KpiSeries = Field(
        description="Messages not sent by policy (consent, caps, suppression list, …)."
    )
    failed: KpiSeries = Field(description="Messages the provider refused or that gave up.")


def message_kpis(
    store: Store,
    *,
    tz: str,
    days: list[date],
    start: datetime,
    end: datetime,
    previous: datetime,
) -> MessageKpis:
    """Per ``days`` (local days in ``tz``) and over [start, end) against [previous, start)."""
    with store.session() as s:
        rows = s.fetch_dicts(
            DAILY_SQL,
            {"tz": tz, "start": start, "end": end, "previous": previous},
            step="messages.daily",
        )
    per_day = {r["day"]: r for r in rows if r["day"] is not None}
    periods = {r["period"]: r for r in rows if r["day"] is None}

    def one(column: str) -> KpiSeries:
        series = [DayValue(day=d, value=float(per_day.get(d, {}).get(column) or 0)) for d in days]
        now, before = periods.get(True, {}), periods.get(False, {})
        return kpi(float(now.get(column) or 0), float(before.get(column) or 0), series)

    return MessageKpis(**{c: one(c) for c in STATUS_COUNTS})
