"""The Segment envelope a device puts around every call: ids, timestamp, context.

Context follows what the real libraries send: analytics.js adds ``page`` and, on the landing
URL only, ``campaign``; the mobile libraries add ``app``, ``device``, ``os`` and ``network``.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from unicx.demo import catalog as c
from unicx.demo.people import Device, Person, fold

Event = dict[str, Any]


@dataclass(slots=True)
class PersonState:
    """What outlives one visit: logged-in devices, sign-up, consent given per device."""

    logged_in: set[str] = field(default_factory=set)
    signed_up: bool = False
    grouped: bool = False
    consent: dict[str, dict[str, bool]] = field(default_factory=dict)


@dataclass(slots=True)
class Counters:
    """Shop-wide sequences, so cart and order ids are unique across everyone."""

    carts: int = 0
    orders: int = 0


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


@functools.cache  # a handful of products, looked up on every product view
def product_path(product: c.Product) -> str:
    return f"/san-pham/{slug(product.name)}-{product.product_id}"


def item(product: c.Product, quantity: int, *, english: bool = False) -> dict[str, Any]:
    """A product as it appears in ``products`` arrays of the e-commerce spec v2, named in the
    language the shopper reads (the category stays the shop's own, Vietnamese, taxonomy)."""
    return {
        "product_id": product.product_id,
        "sku": product.sku,
        "name": product.name_en if english and product.name_en else product.name,
        "category": product.category,
        "price": product.price,
        "quantity": quantity,
    }


class Emitter:
    """Emits ``(time, event)`` pairs into ``out``; ``messageId`` is set later, in time order."""

    def __init__(
        self,
        rng: random.Random,
        person: Person,
        device: Device,
        *,
        state: PersonState,
        counters: Counters,
        start: datetime,
        out: list[tuple[datetime, Event]],
    ) -> None:
        self.rng, self.person, self.device, self.state = rng, person, device, state
        self.counters, self.t, self.out = counters, start, out
        self.session_id = int(start.timestamp() * 1000)  # RudderStack's context.sessionId
        self.pace = 1.0  # scales the reading time between calls (the live demo hurries)
        self.page: dict[str, str] | None = None
        self.campaign: dict[str, str] | None = None

    def emit(self, type_: str, **fields: Any) -> None:
        event: Event = {"type": type_, "anonymousId": self.device.anonymous_id}
        if self.device.anonymous_id in self.state.logged_in:
            event["userId"] = self.person.user_id
        event.update(fields)
        event["timestamp"] = self.t.isoformat(timespec="milliseconds")
        event["context"] = self._context()
        self.out.append((self.t, event))
        # Reading time before the next call.
        self.t += timedelta(seconds=self.rng.uniform(3, 40) * self.pace)

    def track(self, event: str, properties: dict[str, Any]) -> None:
        self.emit("track", event=event, properties=properties)

    def show(
        self,
        name: str,
        path: str,
        title: str,
        *,
        referrer: str | None = None,
        search: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        """A page call on the web, a screen call in the app."""
        if self.device.app is not None:
            self.emit("screen", name=name, properties={"title": title, **(extra or {})})
            return
        previous = self.page["url"] if self.page else ""
        if self.page is not None:
            self.campaign = None  # analytics.js reads UTM tags from the landing URL only
        self.page = {
            "path": path,
            "referrer": previous if referrer is None else referrer,
            "search": search,
            "title": f"{title} | {c.SHOP_NAME}",
            "url": f"{c.SHOP_URL}{path}{search}",
        }
        self.emit("page", name=name, properties={**self.page, **(extra or {})})

    def _context(self) -> dict[str, Any]:
        d, p = self.device, self.person
        ctx: dict[str, Any] = {
            "ip": d.ip,
            "userAgent": d.user_agent,
            "locale": p.locale,
            "timezone": p.timezone,
            "library": dict(c.LIBRARIES[d.platform]),
            "sessionId": self.session_id,
            # Documentation-range IPs cannot be geolocated, so location rides along as a
            # mobile SDK with location permission would send it.
            "location": {"city": p.city, "country": p.country},
        }
        if d.app is not None:
            ctx.update({key: dict(value) for key, value in d.app.items()})
        elif self.page is not None:
            ctx["page"] = dict(self.page)
        if self.campaign is not None:
            ctx["campaign"] = dict(self.campaign)
        if d.anonymous_id in self.state.consent:
            ctx["consent"] = {"categoryPreferences": dict(self.state.consent[d.anonymous_id])}
        return ctx
