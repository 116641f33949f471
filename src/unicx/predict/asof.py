"""Training "as of" a past date: the cut-off for shops whose order history is an archive.

Every trainer reads only events up to its cut-off and counts its windows from it (the churn
model's train/test cut-offs, CLV's customer age and "alive" probability, the recommenders'
look-back and time decay). By default the cut-off is now; a workspace whose latest orders are a
year old then rejects every model, since nobody bought in the windows after the cut-offs.
``unicx train --as-of 2025-11-30`` (API: ``as_of``) moves the cut-off to the end of that day in
the workspace's time zone; the run keeps the real training time as its version and records the
cut-off next to it (docs/predict.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from unicx.errors import FieldIssue, ValidationError
from unicx.store import Session

# A rejected run whose latest order is older than this before the cut-off suggests --as-of.
STALE_AFTER = timedelta(days=30)
EARLIEST = datetime(2000, 1, 1).astimezone()
LATEST_ORDER_SQL = """
SELECT max(timestamp) FROM events
WHERE type = 'track' AND event = 'Order Completed' AND timestamp <= $cut
"""


def _invalid(message: str) -> ValidationError:
    return ValidationError(f"as_of: {message}", issues=[FieldIssue("as_of", "as_of", message)])


def parse_as_of(text: str, *, timezone: str, now: datetime) -> datetime:
    """A date (its end, in the workspace's time zone) or an ISO 8601 date-time (without an
    offset: in the workspace's time zone); not in the future, not before 2000."""
    zone = ZoneInfo(timezone)
    value = text.strip()
    try:
        if len(value) == 10:
            at = datetime.combine(date.fromisoformat(value) + timedelta(days=1), time(), zone)
        else:
            at = datetime.fromisoformat(value)
            at = at if at.tzinfo is not None else at.replace(tzinfo=zone)
    except ValueError:
        raise _invalid(f"{value[:40]!r} is not a date (YYYY-MM-DD) or date-time") from None
    if at > now:
        raise _invalid("is in the future: train on history up to a past date")
    if at < EARLIEST:
        raise _invalid("is before 2000-01-01")
    return at


def stale_hint(s: Session, cut: datetime, *, timezone: str) -> str:
    """For a rejected run at the default cut-off: when the latest order is long before it, the
    advice to train as of that order's day ('' otherwise)."""
    row = s.fetchone(LATEST_ORDER_SQL, {"cut": cut}, step="predict.latest_order")
    latest = row[0] if row else None
    if latest is None or cut - latest < STALE_AFTER:
        return ""
    day = latest.astimezone(ZoneInfo(timezone)).date().isoformat()
    days = (cut - latest).days
    return (
        f" (the latest order is from {day}, {days} days before now: to train on that history, "
        f'run `unicx train --as-of {day}` or send "as_of": "{day}" to POST /v1/models/train)'
    )
