"""A small shop for the report tests: five people, June 2024 (Asia/Ho_Chi_Minh), by hand.

| person | place (latest in June)   | June orders (VND, counted)                                  |
| ------ | ------------------------ | ----------------------------------------------------------- |
| an     | Vietnam / Hà Nội         | T1 06-01 500,000 (beer B1 2x100k, sake S1 1x300k);          |
|        | (first page: Đà Nẵng)    | T2 06-10 300,000 (sake S1)                                  |
| binh   | Vietnam / TP. Hồ Chí Minh| T3 06-05 300,000 (beer B1 3x100k), refunded 100,000 → 200k |
| chi    | Vietnam / Hà Nội         | none (views sake)                                           |
| dung   | Singapore / Singapore    | D1 06-15 imported lines: sake S1 300k + wine W1 2x150k,     |
|        |                          | one wine returned 06-20 (-150k) → 450,000                  |
| em     | Vietnam / Hà Nội         | none in June (a USD order is ignored); May 20: beer 100k;   |
|        |                          | July 5: beer 100k                                           |

Plus an event of nobody (no identity) and events just outside June. Segment "VIP" (seg-vip):
an and dung; a deleted segment "Old".
"""

from __future__ import annotations

from typing import Any

from tests.profiles.traits_data import SERVER, WEB, event, load
from unicx.store import Store

VN, SG = "Vietnam", "Singapore"
HN, HCM, DN = "Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng"
BEER = {"product_id": "B1", "sku": "B1", "name": "Bia Saigon", "category": "beer"}
SAKE = {"product_id": "S1", "sku": "S1", "name": "Sake Dassai", "category": "sake"}


def ev(
    type_: str,
    at: str,
    *,
    place: tuple[str, str] | None = None,
    utm: tuple[str, str] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """An event row with the enrichment columns the reports read."""
    row = event(type_, at, context=kw.pop("context", WEB), **kw)
    row["country"], row["city"] = place or (None, None)
    row["utm_source"], row["utm_campaign"] = utm or (None, None)
    return row


def order(at: str, user: str, order_id: str, revenue: int, *lines: Any, **kw: Any) -> Any:
    products = [{**p, "price": price, "quantity": qty} for p, price, qty in lines]
    props = {"order_id": order_id, "revenue": revenue, "currency": "VND", "products": products}
    return ev("track", at, user_id=user, event="Order Completed", properties=props, **kw)


def viewed(at: str, anon: str, product: dict[str, str], place: tuple[str, str]) -> Any:
    props = {**product, "price": 100000}
    return ev("track", at, anonymous_id=anon, event="Product Viewed", properties=props, place=place)


def added(at: str, anon: str, product: dict[str, str], place: tuple[str, str]) -> Any:
    props = {**product, "price": 100000, "quantity": 1}
    return ev("track", at, anonymous_id=anon, event="Product Added", properties=props, place=place)


def imported_line(at: str, sku: str, name: str, category: str, qty: int, price: int) -> Any:
    """An order file line as `unicx import orders` stores it (a return: Order Refunded)."""
    total = qty * price
    props = {
        "order_id": "D1", "revenue": total, "total": abs(total), "currency": "VND",
        "products": [{"product_id": sku, "sku": sku, "quantity": abs(qty), "name": name,
                      "category": category, "price": price}],
        "sku": sku, "category": category, "product_name": name, "quantity": qty, "price": price,
        "line_total": total,
    }  # fmt: skip
    name_ = "Order Refunded" if qty < 0 else "Order Completed"
    return ev("track", at, user_id="u-dung", event=name_, properties=props, context=SERVER)


def events() -> list[dict[str, Any]]:
    hn, hcm, dn, sg = (VN, HN), (VN, HCM), (VN, DN), (SG, "Singapore")
    return [
        # an: the whole funnel on June 1, then a repeat order on June 10
        ev("page", "2024-06-01 09:00", anonymous_id="a-an", place=dn, utm=("google", "summer")),
        viewed("2024-06-01 09:05", "a-an", BEER, hn),
        added("2024-06-01 09:10", "a-an", BEER, hn),
        order("2024-06-01 09:20", "u-an", "T1", 500000, (BEER, 100000, 2), (SAKE, 300000, 1),
              place=hn),
        viewed("2024-06-10 10:00", "a-an", SAKE, hn),
        order("2024-06-10 10:30", "u-an", "T2", 300000, (SAKE, 300000, 1), place=hn),
        # binh: one order, partly refunded
        ev("page", "2024-06-05 20:00", anonymous_id="a-binh", place=hcm, utm=("facebook", "x")),
        viewed("2024-06-05 20:01", "a-binh", BEER, hcm),
        added("2024-06-05 20:02", "a-binh", BEER, hcm),
        order("2024-06-05 20:10", "u-binh", "T3", 300000, (BEER, 100000, 3), place=hcm),
        ev("track", "2024-06-07 08:00", user_id="u-binh", event="Order Refunded",
           properties={"order_id": "T3", "revenue": 100000}, context=SERVER),
        # chi: browses only
        ev("page", "2024-06-12 14:00", anonymous_id="a-chi", place=hn),
        viewed("2024-06-12 14:03", "a-chi", SAKE, hn),
        # dung: a page in Singapore, an imported order with a returned line
        ev("page", "2024-06-15 10:00", anonymous_id="a-dung", place=sg),
        imported_line("2024-06-15 12:00", "S1", "Sake Dassai", "sake", 1, 300000),
        imported_line("2024-06-15 12:00", "W1", "Vang Đà Lạt", "wine", 2, 150000),
        imported_line("2024-06-20 09:00", "W1", "Vang Đà Lạt", "wine", -1, 150000),
        # em: ordered in May and July; in June only a page and a USD order
        order("2024-05-20 10:00", "u-em", "E1", 100000, (BEER, 100000, 1), context=SERVER),
        ev("page", "2024-06-02 08:00", anonymous_id="a-em", place=hn),
        ev("track", "2024-06-03 08:00", user_id="u-em", event="Order Completed",
           properties={"order_id": "E2", "revenue": 50, "currency": "USD"}, context=SERVER),
        order("2024-07-05 10:00", "u-em", "E3", 100000, (BEER, 100000, 1), context=SERVER),
        # outside June by a minute each side, and an event nobody owns
        ev("page", "2024-05-31 23:59", anonymous_id="a-chi", place=sg),
        ev("page", "2024-07-01 00:00", anonymous_id="a-chi", place=sg),
        ev("page", "2024-06-20 10:00", anonymous_id="a-ghost", place=sg),
    ]  # fmt: skip


IDENTITIES = {
    "p-an": [("user_id", "u-an"), ("anonymous_id", "a-an")],
    "p-binh": [("user_id", "u-binh"), ("anonymous_id", "a-binh")],
    "p-chi": [("anonymous_id", "a-chi")],
    "p-dung": [("user_id", "u-dung"), ("anonymous_id", "a-dung")],
    "p-em": [("user_id", "u-em"), ("anonymous_id", "a-em")],
}

SEGMENTS_SQL = """
INSERT INTO segments (segment_id, name, description, kind, version, definition, status,
                      created_at, updated_at) VALUES
  ('seg-vip', 'VIP', '', 'custom', 1, '{}', 'active', now(), now()),
  ('seg-old', 'Old', '', 'custom', 1, '{}', 'deleted', now(), now());
INSERT INTO segment_members VALUES ('seg-vip', 'p-an', now()), ('seg-vip', 'p-dung', now()),
  ('seg-old', 'p-chi', now());
"""


def load_shop(store: Store) -> None:
    load(store, events(), IDENTITIES)
    with store.session() as s:
        for statement in filter(str.strip, SEGMENTS_SQL.split(";")):
            s.execute(statement, step="test.segments")
