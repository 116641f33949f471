"""What every report shares: a local date range, an optional segment, the events they select.

The range is ``[from, to)`` in local days of the workspace time zone (``to`` exclusive, so
``from >= to`` is empty and refused). Its bounds become TIMESTAMPTZ parameters computed here,
so the engine prunes the ``events`` scan on ``timestamp`` before resolving profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from unicx.config import Settings
from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.profiles.refresh_scope import params_for
from unicx.store import Session

DEFAULT_DAYS = 30
# Far enough for any real data; keeps period arithmetic (previous period, cohort horizons)
# inside what dates and time zones can represent.
MIN_DATE, MAX_DATE = date(1970, 1, 1), date(2999, 12, 31)
# A report on a segment covers its current members.
MEMBERS = "SELECT profile_id FROM segment_members WHERE segment_id = $segment"


@dataclass(frozen=True)
class Window:
    """A resolved report filter: local days ``[start, end)`` and the segment id, if any."""

    start: date
    end: date
    segment_id: str | None
    settings: Settings

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def at(self, day: date) -> datetime:
        """Local midnight starting ``day``."""
        return datetime.combine(day, time(), tzinfo=self.tz)

    def fixed_offset_us(self, first: date, last: date) -> int | None:
        """The zone's UTC offset (microseconds) if it is the same all through [first, last]
        (checked weekly: offset changes last longer than a week), else None."""
        offsets = {
            self.at(first + timedelta(weeks=n)).utcoffset()
            for n in range((last - first).days // 7 + 1)
        } | {self.at(last).utcoffset()}
        if len(offsets) != 1 or (offset := offsets.pop()) is None:
            return None
        return int(offset.total_seconds()) * 1_000_000

    def params(self, **extra: Any) -> dict[str, Any]:
        return {
            "start": self.at(self.start),
            "end": self.at(self.end),
            "segment": self.segment_id,
            "tz": self.settings.timezone,
            "currency": self.settings.currency,
            **extra,
        }

    def echo(self) -> dict[str, Any]:
        """The common parameters as reports echo them."""
        return {
            "from": self.start,
            "to": self.end,
            "segment": self.segment_id,
            "timezone": self.settings.timezone,
            "currency": self.settings.currency,
        }


def local_today(settings: Settings, now: datetime | None = None) -> date:
    return (now or datetime.now(tz=ZoneInfo("UTC"))).astimezone(ZoneInfo(settings.timezone)).date()


def invalid(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", issues=[FieldIssue(field, rule, message)])


def resolve_window(
    session: Session,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    segment: str | None = None,
    now: datetime | None = None,
    default_start: Callable[[date], date] | None = None,
) -> Window:
    """Fill in the default range (``end``: tomorrow; ``start``: ``default_start(end)``, else
    30 days before ``end``), check it, and resolve the segment by id or name."""
    end = end or local_today(settings, now) + timedelta(days=1)
    for field, day in (("from", start), ("to", end)):
        if day is not None and not MIN_DATE <= day <= MAX_DATE:
            raise invalid(field, "range", f"must be between {MIN_DATE} and {MAX_DATE}")
    if start is None:
        start = default_start(end) if default_start else end - timedelta(days=DEFAULT_DAYS)
        start = max(MIN_DATE, start)
    if start >= end:
        raise invalid("from", "before_to", f"from ({start}) must be before to ({end}, exclusive)")
    segment_id = resolve_segment(session, segment) if segment is not None else None
    return Window(start=start, end=end, segment_id=segment_id, settings=settings)


def resolve_segment(session: Session, value: str) -> str:
    """An active segment's id, given its id or its name (an ambiguous name is refused)."""
    rows = session.fetchall(
        "SELECT segment_id, segment_id = $v AS by_id FROM segments "
        "WHERE status = 'active' AND (segment_id = $v OR name = $v) "
        "ORDER BY by_id DESC, segment_id LIMIT 2",
        {"v": value},
        step="reports.segment",
    )
    if not rows:
        raise NotFoundError(
            f"segment: no active segment with id or name {value!r}",
            details=[{"field": "segment", "rule": "unknown", "message": "no such segment"}],
        )
    if len(rows) > 1 and not rows[0][1]:
        raise invalid("segment", "ambiguous", f"several segments are named {value!r}; use the id")
    return str(rows[0][0])


def events_step(
    columns: str,
    window: Window,
    *,
    name: str = "ev",
    since: str | None = "$start",
    until: str = "$end",
    where: str | None = None,
) -> str:
    """A step ``name``: ``columns`` of the in-range events of resolved profiles (and of the
    segment's current members). ``since``/``until`` name the bound parameters (``since`` None:
    no lower bound); ``where`` narrows further, on plain columns (type, event) only, so the
    engine applies it in the scan."""
    conditions = ["profile_id IS NOT NULL", f"timestamp < {until}"]
    if since is not None:
        conditions.insert(1, f"timestamp >= {since}")
    if where is not None:
        conditions.append(where)
    if window.segment_id is not None:
        conditions.append(f"profile_id IN ({MEMBERS})")
    return (
        f"{name} AS (\n  SELECT {columns}\n  FROM event_profiles\n"
        f"  WHERE {' AND '.join(conditions)}\n)"
    )


def order_source(window: Window, *, since: str | None = "$start", until: str = "$end") -> str:
    """``order_ev``: what :func:`unicx.profiles.orders_sql.order_core_steps` reads."""
    return events_step(
        "profile_id, message_id, timestamp, type, event, properties",
        window,
        name="order_ev",
        since=since,
        until=until,
        where="type = 'track' AND event IN ('Order Completed', 'Order Refunded')",
    )


def fetch(session: Session, sql: str, params: dict[str, Any], *, step: str) -> list[dict[str, Any]]:
    return session.fetch_dicts(sql, params_for(sql, params), step=step)


def ratio(numerator: str, denominator: str) -> str:
    """``numerator / denominator`` as a DOUBLE, NULL when the denominator is 0."""
    return f"CAST({numerator} AS DOUBLE) / nullif({denominator}, 0)"
