"""A deterministic, realistic event stream of a Vietnamese omnichannel retailer.

``generate_events(users=5000, seed=7)`` simulates 5,000 people over the last 12 months on the
shop's website and apps: anonymous browsing, sign-ups, cross-device logins, carts, orders,
consent and a few B2B buyers. Regulars come back and buy until they drift away for good, the
pattern CLV (BG/NBD) and churn models learn from. The same seed gives the same events,
``messageId`` included, so re-sending a stream is idempotent and tests can count on exact
numbers. ``now`` only moves the timestamps:
the number and content of events do not depend on it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from itertools import islice
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from unicx.demo.envelope import Counters, Event, PersonState
from unicx.demo.people import Device, Person, make_people
from unicx.demo.session import P_LOGIN_OTHER_DEVICE, Visit

VN = timezone(timedelta(hours=7))  # no DST in Vietnam, so a fixed offset is exact
PERIOD_DAYS = 365
MAX_VISITS = 40
# (mean days between visits drawn from this range, chance of never coming back after a visit,
#  chance a visit is a shopping trip)
REGULAR = ((6.0, 20.0), 0.06, 0.3)
CASUAL = ((20.0, 70.0), 0.4, 0.0)
# Nothing is emitted in the last hours before `now`, so a visit never ends in the future.
QUIET_BEFORE_NOW = timedelta(hours=3)
# Relative traffic per local hour: the lunch break (~12h) and the evening (20-22h) peak.
HOUR_WEIGHTS = (
    1.2,
    0.6,
    0.3,
    0.2,
    0.2,
    0.4,
    1.0,
    2.0,
    3.0,
    3.5,
    4.0,
    5.5,
    8.0,
    6.5,
    4.5,
    4.0,
    4.0,
    4.5,
    5.5,
    7.5,
    10.0,
    10.5,
    9.0,
    4.0,
)
T = TypeVar("T")
_MESSAGE_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://choxinh.example/unicx-demo")


def generate_events(*, users: int, seed: int, now: datetime | None = None) -> Iterator[Event]:
    """Segment calls of ``users`` simulated people, oldest first, identical for the same seed."""
    if users < 0:
        raise ValueError("users must be >= 0")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    end = now or datetime.now(UTC)
    rng = random.Random(seed)
    out: list[tuple[datetime, Event]] = []
    counters = Counters()
    for person in make_people(rng, users):
        _live(rng, person, end=end, counters=counters, out=out)
    out.sort(key=lambda pair: pair[0])  # stable: calls at the same instant keep their order
    for n, (_, event) in enumerate(out):
        event["messageId"] = message_id(seed, n)
        yield event


def message_id(seed: int, n: int) -> str:
    """The n-th event's id: a UUID, yet the same on every run with the same seed."""
    return str(uuid.uuid5(_MESSAGE_NS, f"{seed}:{n}"))


def batches(events: Iterable[T], size: int = 100) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` events (the shape of a /v1/batch body)."""
    if size < 1:
        raise ValueError("size must be >= 1")
    it = iter(events)
    while chunk := list(islice(it, size)):
        yield chunk


def _live(
    rng: random.Random,
    person: Person,
    *,
    end: datetime,
    counters: Counters,
    out: list[tuple[datetime, Event]],
) -> None:
    starts = _visit_starts(rng, person, end)
    sign_up_at = rng.randrange(len(starts)) if person.registered else -1
    state, seen = PersonState(), set[str]()
    shop_rate = (REGULAR if person.loyal else CASUAL)[2]
    for i, start in enumerate(starts):
        device = _device_for(rng, person)
        log_in = i == sign_up_at or _logs_in_again(rng, state, device)
        visit = Visit(rng, person, device, state=state, counters=counters, start=start, out=out)
        shopping = i > 0 and rng.random() < shop_rate
        visit.run(first_visit=device.anonymous_id not in seen, log_in=log_in, shopping=shopping)
        seen.add(device.anonymous_id)


def _logs_in_again(rng: random.Random, state: PersonState, device: Device) -> bool:
    """After signing up on one device, people log in on their other one sooner or later."""
    if not state.signed_up or device.anonymous_id in state.logged_in:
        return False
    return rng.random() < P_LOGIN_OTHER_DEVICE


def _device_for(rng: random.Random, person: Person) -> Device:
    # People with the app open it more often than the website.
    weights = [3 if d.app is not None else 2 for d in person.devices]
    return rng.choices(person.devices, weights=weights)[0]


def _visit_starts(rng: random.Random, person: Person, end: datetime) -> list[datetime]:
    """A first visit any day of the year, then returns at the person's own pace until they
    stop for good: most casual visitors come once or twice, regulars for months."""
    (low, high), stop, _ = REGULAR if person.loyal else CASUAL
    rate = 1 / rng.uniform(low, high)
    days_ago = [rng.uniform(0, PERIOD_DAYS)]
    while len(days_ago) < MAX_VISITS and rng.random() >= stop:
        later = days_ago[-1] - rng.expovariate(rate)
        if later < 0:
            break
        days_ago.append(later)
    zone = ZoneInfo(person.timezone)
    return sorted(_at_local_hour(rng, end, days, zone) for days in days_ago)


def _at_local_hour(rng: random.Random, end: datetime, days_ago: float, zone: ZoneInfo) -> datetime:
    """A start on that day at an hour drawn from the daily rhythm of the person's own zone."""
    day = (end - timedelta(days=days_ago)).astimezone(zone).date()
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    start = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
    while start > end - QUIET_BEFORE_NOW:
        start -= timedelta(days=1)
    return start.astimezone(VN)


def summarize(events: Iterable[Event]) -> dict[str, Any]:
    """Counts a person reads after a demo run: events, orders, revenue (VND)."""
    total = orders = revenue = 0
    for event in events:
        total += 1
        if event.get("event") == "Order Completed":
            orders += 1
            revenue += int(event["properties"]["revenue"])
    return {"events": total, "orders": orders, "revenue": revenue}
