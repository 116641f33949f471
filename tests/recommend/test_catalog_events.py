"""The catalog filled from product and order events, a feed overriding it (real server)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually

pytestmark = pytest.mark.slow
BEERS = {"b1": ("Bia 333", 15000.0), "b2": ("Bia Sài Gòn", 16000.0), "b3": ("Bia Hà Nội", 17000.0)}


def _track(who: str, event: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "track", "userId": who, "event": event, "properties": properties,
            "messageId": uuid.uuid4().hex}  # fmt: skip


def _shop() -> list[dict[str, Any]]:
    """Product pages say name, price, image and url; orders say it in products[]."""
    calls = []
    for sku, (name, price) in BEERS.items():
        calls.append(_track("u0", "Product Viewed", {
            "product_id": sku, "name": name, "category": "Bia", "price": price,
            "currency": "VND", "image_url": f"https://shop.vn/img/{sku}.jpg",
            "url": f"https://shop.vn/p/{sku}"}))  # fmt: skip
    for n in range(8):
        bought = ("b1", "b2", "b3")[: 2 + n % 2]
        products = [{"product_id": sku, "name": BEERS[sku][0], "category": "Bia",
                     "price": BEERS[sku][1], "quantity": 1} for sku in bought]  # fmt: skip
        order = {"order_id": f"o{n}", "currency": "VND", "products": products}
        calls.append(_track(f"u{n}", "Order Completed", order))
    # A tea seen only in an order line, and a page link that is not a web link.
    calls.append(_track("u9", "Order Completed", {"order_id": "o9", "currency": "VND", "products": [
        {"sku": "t1", "product_name": "Trà sen", "category": "Trà", "price": "90000",
         "quantity": 2, "url": "javascript:alert(1)"}]}))  # fmt: skip
    return calls


def _catalog(c: httpx.Client) -> dict[str, dict[str, Any]]:
    res = c.get("/v1/catalog/items", params={"limit": 100})
    assert res.status_code == 200, res.text
    return {i["item_id"]: i for i in res.json()["items"]}


def _recommended(c: httpx.Client) -> dict[str, dict[str, Any]]:
    found = c.get("/v1/profiles/lookup", params={"user_id": "u0"})
    assert found.status_code == 200, found.text
    res = c.get(f"/v1/profiles/{found.json()['profile_id']}/recommendations", params={"k": 10})
    assert res.status_code == 200, res.text
    return {i["item_id"]: i for i in res.json()["items"]}


def test_events_fill_the_catalog_and_a_feed_wins(
    server: ServerProcess, workspace: Workspace
) -> None:
    ingest = httpx.Client(base_url=server.url, headers=basic(workspace.write_key))
    api = httpx.Client(base_url=server.url, headers=bearer(workspace.secret_key), timeout=120)
    assert ingest.post("/v1/batch", json={"batch": _shop()}).status_code == 200
    eventually(lambda: len(_catalog(api)) == 4, "the events' products in the catalog")
    items = _catalog(api)
    assert items["b1"] | {"updated_at": None} == {
        "item_id": "b1", "name": "Bia 333", "category": "Bia", "price": 15000.0,
        "currency": "VND", "available": True, "image": "https://shop.vn/img/b1.jpg",
        "url": "https://shop.vn/p/b1", "launched_at": None, "updated_at": None,
        "source": "events"}  # fmt: skip
    assert items["t1"]["name"] == "Trà sen" and items["t1"]["price"] == 90000.0
    assert items["t1"]["currency"] == "VND" and items["t1"]["url"] is None

    res = api.post("/v1/models/train", json={"models": ["recommend"]})
    assert res.status_code == 200 and res.json()[0]["status"] == "active", res.text
    # No feed: the answer still names and prices what it recommends.
    eventually(lambda: _recommended(api).get("b1", {}).get("name") == "Bia 333", "named items")
    shown = _recommended(api)
    assert shown["b2"]["price"] == 16000.0 and shown["b2"]["currency"] == "VND"
    assert shown["b1"]["image"] == "https://shop.vn/img/b1.jpg"

    # A feed overrides what the events said...
    feed = [{"id": "b1", "name": "Bia 333 lon 330ml", "category": "Bia lon", "price": 14500}]
    assert api.post("/v1/catalog/items", json={"items": feed}).json()["accepted"] == 1
    eventually(lambda: _recommended(api)["b1"]["name"] == "Bia 333 lon 330ml", "the feed's name")
    assert _recommended(api)["b1"]["price"] == 14500.0
    # ...and a later event does not overwrite it (while it still updates items without a feed).
    later = [_track("u1", "Product Viewed", {"product_id": "b1", "name": "Bia 333 (giả)",
                                             "price": 1, "url": "https://evil.example/b1"}),
             _track("u1", "Product Viewed", {"product_id": "b2", "name": "Bia Sài Gòn Special",
                                             "price": 18000})]  # fmt: skip
    assert ingest.post("/v1/batch", json={"batch": later}).status_code == 200
    eventually(lambda: _catalog(api)["b2"]["name"] == "Bia Sài Gòn Special", "the later event")
    b1 = _catalog(api)["b1"]
    assert (b1["name"], b1["price"], b1["url"], b1["source"]) == (
        "Bia 333 lon 330ml",
        14500.0,
        None,
        "feed",
    )
    assert _recommended(api)["b1"]["name"] == "Bia 333 lon 330ml"
    assert _recommended(api)["b1"]["category"] == "Bia lon"
