"""The demo after its history: people keep coming, putting things in carts, most leaving.

For a few minutes after the workspace is ready, registered customers of the history come
back, log in, add to the cart and either buy or leave. Each event is sent when its time
comes, so a newcomer watches profiles, segments and the cart journeys move, and the e-mails
of those who left arrive in the demo inbox about two minutes later.
"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from unicx.demo.envelope import Counters, Event, PersonState
from unicx.demo.generator import VN
from unicx.demo.people import make_people
from unicx.demo.session import Visit
from unicx.demo.stream import post_batch

LIVE_MINUTES = 5.0
MEAN_GAP_S = 8.0  # between two people arriving
P_BUY = 0.35  # the others abandon their cart
PACE = 0.25  # 1-10 s between a person's clicks: a cart within a minute, while you watch
TICK_S = 0.5
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://choxinh.example/unicx-demo/live")


def live_events(
    *, users: int, seed: int, start: datetime, minutes: float = LIVE_MINUTES
) -> list[tuple[datetime, Event]]:
    """Cart visits of registered people (the history's, same seed) starting over ``minutes``
    from ``start``, as ``(send time, event)`` in time order."""
    rng = random.Random(f"live:{seed}")
    people = [p for p in make_people(random.Random(seed), users) if p.registered]
    out: list[tuple[datetime, Event]] = []
    counters = Counters(carts=900_000, orders=900_000)  # clear of the history's numbers
    at, end = start.astimezone(VN), start + timedelta(minutes=minutes)
    while people and at < end:
        person = rng.choice(people)
        device = rng.choice(person.devices)
        state = PersonState(signed_up=True)
        visit = Visit(rng, person, device, state=state, counters=counters, start=at, out=out)
        visit.pace = PACE
        visit.cart_visit(buy=rng.random() < P_BUY)
        at += timedelta(seconds=rng.expovariate(1 / MEAN_GAP_S))
    out.sort(key=lambda pair: pair[0])
    for n, (_, event) in enumerate(out):
        event["messageId"] = str(uuid.uuid5(_NS, f"{seed}:{start.isoformat()}:{n}"))
    return out


def send_live(
    client: httpx.Client,
    events: list[tuple[datetime, Event]],
    *,
    auth: httpx.Auth,
    stop: threading.Event | None = None,
) -> int:
    """Send each event once its time has come; return how many were sent."""
    sent, stop = 0, stop or threading.Event()
    while sent < len(events) and not stop.is_set():
        now = datetime.now(UTC)
        due = sent
        while due < len(events) and events[due][0] <= now:
            due += 1
        if due > sent:
            post_batch(client, [e for _, e in events[sent:due]], auth=auth)
            sent = due
        if sent < len(events):
            stop.wait(TICK_S)
    return sent


def run_live(client: httpx.Client, *, write_key: str, users: int, seed: int) -> int:
    events = live_events(users=users, seed=seed, start=datetime.now(UTC))
    return send_live(client, events, auth=httpx.BasicAuth(write_key, ""))
