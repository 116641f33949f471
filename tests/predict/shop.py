"""A generated shop whose behaviour is planted, for the prediction tests.

Three kinds of people, ``NOW`` = 2024-06-30 12:00 Ho Chi Minh City:

- ``loyal``: order every 10-30 days for the whole year, and keep going;
- ``lapsing``: ordered every 5-20 days, then stopped 100-300 days ago (they churned);
- ``once``: one order at a random time in the year.

Whisky buyers (``whisky`` in the group map) are a planted taste for lookalikes: loyal people
whose every order is whisky and who view whisky pages. Orders are in VND.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tests.profiles.traits_data import event, load, vn
from unicx.config import Settings
from unicx.profiles.traits import refresh_traits
from unicx.store import Store

NOW = vn("2024-06-30 12:00")
YEAR = 365


@dataclass
class Shop:
    group: dict[str, str] = field(default_factory=dict)
    whisky: set[str] = field(default_factory=set)
    orders: dict[str, list[float]] = field(default_factory=dict)  # days ago of each order


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


def _order(who: str, days_ago: float, n: int, category: str, value: int) -> dict[str, Any]:
    props = {"order_id": f"o-{who}-{n}", "revenue": value, "currency": "VND",
             "products": [{"product_id": f"sku-{category}", "category": category,
                           "price": value, "quantity": 1}]}  # fmt: skip
    return event("track", _at(days_ago), user_id=who, event="Order Completed", properties=props)


def _view(who: str, days_ago: float, category: str) -> dict[str, Any]:
    props = {"product_id": f"sku-{category}", "category": category}
    return event("track", _at(days_ago), user_id=who, event="Product Viewed", properties=props)


def _schedule(rng: random.Random, kind: str) -> list[float]:
    if kind == "once":
        return [rng.uniform(1, YEAR)]
    if kind == "loyal":
        day, gaps = rng.uniform(0, 20), (10, 30)
        stop = 0.0
    else:
        day, gaps = rng.uniform(0, 10), (5, 20)
        stop = rng.uniform(100, 300)
    out = []
    day = YEAR - day
    while day > stop:
        out.append(day)
        day -= rng.uniform(*gaps)
    return out


def build_shop(store: Store, settings: Settings, *, people: int = 300, seed: int = 1) -> Shop:
    """Write the shop's events and identities, then compute the built-in traits at NOW."""
    rng = random.Random(seed)
    shop = Shop()
    events: list[dict[str, Any]] = []
    identities: dict[str, list[tuple[str, str]]] = {}
    for i in range(people):
        who = f"c{i:04d}"
        kind = ("loyal", "lapsing", "once")[0 if i % 5 < 2 else 1 if i % 5 < 4 else 2]
        shop.group[who] = kind
        whisky = kind == "loyal" and i % 2 == 0
        if whisky:
            shop.whisky.add(who)
        identities[who] = [("user_id", who)]
        days = _schedule(rng, kind)
        shop.orders[who] = days
        for n, days_ago in enumerate(days):
            category = "whisky" if whisky else rng.choice(("beer", "snack", "tea"))
            value = rng.randrange(200, 800) * 1000 * (3 if whisky else 1)
            events.append(_order(who, days_ago, n, category, value))
            if whisky or rng.random() < 0.3:
                events.append(_view(who, days_ago + 0.1, category))
    load(store, events, identities)
    with store.session() as s:
        refresh_traits(s, settings, None, now=NOW)
    return shop
