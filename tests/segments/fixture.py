"""Five people whose segment memberships are written out by hand in the tests.

NOW is 2024-06-30 12:00 in Ho Chi Minh City. Orders carry ``category`` and ``products[]``.

- alice (pa): identify (email, plan pro); orders 20 d and 15 d ago (whisky, 2,000,000 each) and
  4 d ago (beer + sake, 2,000,000); VN / Ho Chi Minh City; email consent granted.
- bob (pb): order 200 d ago (snack, 500,000); Product Added 3 d ago and nothing after; SG;
  email consent withdrawn.
- chi (pc): order 10 d ago (whisky, 6,000,000); Product Added 2 d ago, ordered 2 h later
  (beer, 0); VN / Ha Noi.
- dung (pd): anonymous only, page views 3 d and 1 d ago, a push token, mobile; VN.
- em (pe): identify (plan free); order 40 d ago (whisky, 1,000,000); Product Added 12 h ago; TH.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.profiles.traits_data import event, load, vn
from unicx.config import Settings
from unicx.privacy.consent import refresh_consents
from unicx.profiles.traits import refresh_traits
from unicx.store import Store

NOW = vn("2024-06-30 12:00")
IDS = {
    "pa": [("user_id", "alice"), ("email", "alice@example.vn")],
    "pb": [("user_id", "bob"), ("email", "bob@example.vn")],
    "pc": [("user_id", "chi"), ("email", "chi@example.vn")],
    "pd": [("anonymous_id", "anon-dung")],
    "pe": [("user_id", "em")],
}
COUNTRY = {
    "alice": ("VN", "Ho Chi Minh City"),
    "bob": ("SG", "Singapore"),
    "chi": ("VN", "Ha Noi"),
    "anon-dung": ("VN", "Da Nang"),
    "em": ("TH", "Bangkok"),
}


def ago(*, days: float = 0, hours: float = 0) -> str:
    return (NOW - timedelta(days=days, hours=hours)).strftime("%Y-%m-%d %H:%M")


def order(who: str, at: str, revenue: int, *categories: str) -> dict[str, Any]:
    products = [
        {"product_id": f"sku-{c}", "category": c, "price": 1, "quantity": 1} for c in categories
    ]
    props = {"order_id": f"o-{who}-{at}", "revenue": revenue, "currency": "VND",
             "category": categories[0], "products": products}  # fmt: skip
    return event("track", at, user_id=who, event="Order Completed", properties=props)


def added(who: str, at: str, category: str) -> dict[str, Any]:
    props = {"product_id": f"sku-{category}", "category": category}
    return event("track", at, user_id=who, event="Product Added", properties=props)


def consent(who: str, at: str, granted: bool) -> dict[str, Any]:
    props = {"purpose": "email", "granted": granted}
    return event("track", at, user_id=who, event="Consent Updated", properties=props)


def events() -> list[dict[str, Any]]:
    out = [
        event("identify", ago(days=30), user_id="alice",
              traits={"email": "alice@example.vn", "plan": "pro"}),
        order("alice", ago(days=20), 2_000_000, "whisky"),
        order("alice", ago(days=15), 2_000_000, "whisky"),
        order("alice", ago(days=4), 2_000_000, "beer", "sake"),
        consent("alice", ago(days=30), True),
        order("bob", ago(days=200), 500_000, "snack"),
        added("bob", ago(days=3), "whisky"),
        consent("bob", ago(days=100), False),
        order("chi", ago(days=10), 6_000_000, "whisky"),
        added("chi", ago(days=2), "beer"),
        order("chi", ago(days=2, hours=-2), 0, "beer"),
        event("page", ago(days=3), anonymous_id="anon-dung", device_type="mobile",
              context={"device": {"token": "push-token-1"}}),
        event("page", ago(days=1), anonymous_id="anon-dung", device_type="mobile"),
        event("identify", ago(days=60), user_id="em", traits={"plan": "free"}),
        order("em", ago(days=40), 1_000_000, "whisky"),
        added("em", ago(hours=12), "snack"),
    ]  # fmt: skip
    for e in out:
        e["country"], e["city"] = COUNTRY[e["user_id"] or e["anonymous_id"]]
    return out


def build(store: Store, settings: Settings, *, now: datetime = NOW) -> None:
    load(store, events(), IDS)
    with store.session() as s, s.transaction():
        refresh_traits(s, settings, None, now=now)
        refresh_consents(s, settings, None)


def members(store: Store, segment_id: str) -> set[str]:
    with store.session() as s:
        rows = s.fetchall(
            "SELECT profile_id FROM segment_members WHERE segment_id = ?", [segment_id], step="t"
        )
    return {str(r[0]) for r in rows}


def as_json(definition: dict[str, Any]) -> str:
    return json.dumps(definition)
