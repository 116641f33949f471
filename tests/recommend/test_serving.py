"""Recommendations through the API: training, contexts, rules, consent, logging, attribution."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.profiles.traits_data import event, load
from unicx.api.app import create_app
from unicx.config import load_settings
from unicx.store import Store
from unicx.workspace import open_store

# The shop's events are a few days old, so the model trained "now" sees all of them.
NOW = datetime.now(UTC)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = [
    {"id": "b1", "name": "Bia 333", "category": "beer", "price": 15000},
    {"id": "b2", "name": "Bia Sài Gòn", "category": "beer", "price": 16000},
    {"id": "b3", "name": "Bia Hà Nội", "category": "beer", "price": 17000},
    {"id": "t1", "name": "Trà Thái", "category": "tea", "price": 50000},
    {"id": "t2", "name": "Trà sen", "category": "tea", "price": 90000},
    {"id": "t3", "name": "Trà ô long", "category": "tea", "price": 120000},
]


def _at(days: float) -> str:
    # traits_data.event reads wall-clock times in Ho Chi Minh City.
    return (NOW - timedelta(days=days)).astimezone(VN).strftime("%Y-%m-%d %H:%M")


def _order(who: str, n: int, *items: str) -> dict[str, Any]:
    products = [{"product_id": i, "price": 10000, "quantity": 1} for i in items]
    props = {"order_id": f"{who}-{n}", "currency": "VND", "products": products}
    return event("track", _at(5 - n * 0.1), user_id=who, event="Order Completed",
                 properties=props, context={"location": {"country": "VN"}})  # fmt: skip


def _shop(store: Store) -> None:
    events, ids = [], {}
    for group, items in (("p", ("b1", "b2", "b3")), ("q", ("t1", "t2", "t3"))):
        for n in range(10):
            who = f"{group}{n}"
            ids[who] = [("user_id", who)]
            bought = items if n < 8 else items[:2]
            events += [_order(who, m, item) for m, item in enumerate(bought)]
    ids["newbie"] = [("user_id", "newbie")]
    events.append(event("identify", _at(1), user_id="newbie", traits={"name": "Lan"}))
    load(store, events, ids)


@pytest.fixture
def api(workspace: Workspace) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = open_store(workspace.settings)
    _shop(store)
    store.close()
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        for who in ("p8", "p9", "q9", "newbie"):
            consent = {"purposes": {"personalization": True}}
            res = client.put(f"/v1/profiles/{who}/consent", json=consent, headers=auth)
            assert res.status_code == 200, res.text
        assert client.post("/v1/catalog/items", json={"items": CATALOG},
                           headers=auth).json()["accepted"] == 6  # fmt: skip
        res = client.post("/v1/models/train", json={"models": ["recommend"]}, headers=auth)
        assert res.json()[0]["status"] == "active", res.text
        yield client, auth


def _items(res: Any) -> list[str]:
    assert res.status_code == 200, res.text
    return [i["item_id"] for i in res.json()["items"]]


def test_personal_recommendations_follow_taste(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    res = client.get("/v1/profiles/p8/recommendations?k=3&placement=home", headers=auth)
    assert _items(res)[0] == "b3"  # what the other beer drinkers bought and p8 has not
    body = res.json()
    assert body["personalized"] and len(body["recommendation_id"]) == 32
    assert body["items"][0]["name"] == "Bia Hà Nội" and body["items"][0]["category"] == "beer"
    assert "b1" not in _items(res) and "b2" not in _items(res)  # already bought
    assert _items(client.get("/v1/profiles/q9/recommendations?k=1", headers=auth)) == ["t3"]
    product = client.get("/v1/profiles/p9/recommendations?k=2&context=product:t1", headers=auth)
    assert set(_items(product)) == {"t2", "t3"}
    cart = client.get("/v1/profiles/p9/recommendations?k=2&context=cart&cart=t1,t2",
                      headers=auth)  # fmt: skip
    assert _items(cart)[0] == "t3"
    assert set(_items(client.get("/v1/items/b1/similar?k=2", headers=auth))) == {"b2", "b3"}


def test_without_consent_people_get_trending(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    res = client.get("/v1/profiles/p8/recommendations?k=3", headers=auth)
    assert res.json()["personalized"] and res.json()["reason"] is None
    anon = client.get("/v1/profiles/q8/recommendations?k=4", headers=auth)
    assert not anon.json()["personalized"]
    # The answer says why, naming the workspace's consent model (opt-in by default).
    assert anon.json()["reason"] == "no personalization consent (workspace consent model: opt-in)"
    # Trending: the items bought by the most people, the same for everyone without consent.
    assert set(_items(anon)) == {"b1", "b2", "t1", "t2"}
    # Consent but nothing done yet: trending too, and not called personalized.
    cold = client.get("/v1/profiles/newbie/recommendations?k=4", headers=auth)
    assert not cold.json()["personalized"] and set(_items(cold)) == {"b1", "b2", "t1", "t2"}
    assert cold.json()["reason"].startswith("no history")
    withdrawn = {"purposes": {"personalization": False}}
    assert client.put("/v1/profiles/p8/consent", json=withdrawn, headers=auth).status_code == 200
    _eventually_reason(client, auth, "p8", "personalization consent withdrawn (workspace "
                       "consent model: opt-in)")  # fmt: skip


def _eventually_reason(client: TestClient, auth: dict[str, str], who: str, reason: str) -> None:
    # Consents reach the serving snapshot within seconds (recommend/live.py).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get(f"/v1/profiles/{who}/recommendations?k=2", headers=auth).json()
        if body["reason"] == reason:
            assert not body["personalized"]
            return
        time.sleep(0.2)
    raise AssertionError(f"{who}: reason stayed {body['reason']!r}")


def test_the_answer_says_the_model_is_not_trained(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    _shop(store)
    store.close()
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(workspace.settings)) as client:
        consent = {"purposes": {"personalization": True}}
        assert client.put("/v1/profiles/p1/consent", json=consent, headers=auth).status_code == 200
        res = client.get("/v1/profiles/p1/recommendations?k=2", headers=auth)
        assert res.status_code == 200, res.text
        assert not res.json()["personalized"]
        assert res.json()["reason"].startswith("model not trained")


def test_an_opt_out_workspace_personalizes_without_a_consent_record(
    workspace: Workspace,
) -> None:
    (workspace.path / "unicx.toml").open("a").write("personalization_opt_in = false\n")
    store = open_store(workspace.settings)
    _shop(store)
    store.close()
    settings = load_settings(workspace=workspace.path)
    auth = bearer(workspace.secret_key)
    with TestClient(create_app(settings)) as client:
        res = client.post("/v1/models/train", json={"models": ["recommend"]}, headers=auth)
        assert res.json()[0]["status"] == "active", res.text
        body = client.get("/v1/profiles/p8/recommendations?k=2", headers=auth).json()
        assert body["personalized"] and body["reason"] is None
        withdrawn = {"purposes": {"personalization": False}}
        assert (
            client.put("/v1/profiles/p8/consent", json=withdrawn, headers=auth).status_code == 200
        )
        _eventually_reason(client, auth, "p8", "personalization consent withdrawn (workspace "
                           "consent model: opt-out)")  # fmt: skip


def test_business_rules(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    url = "/v1/profiles/p8/recommendations?k=3"
    rules = {"repurchasable_categories": ["beer"], "max_per_category": 1}
    assert client.put("/v1/recommendations/rules", json=rules, headers=auth).status_code == 200
    got = _items(client.get(url, headers=auth))
    assert got[0] in {"b1", "b2", "b3"} and sum(i.startswith("b") for i in got) == 1
    rules = {"category_multipliers": {"beer": 0}, "pinned": ["t2"]}
    client.put("/v1/recommendations/rules", json=rules, headers=auth)
    got = _items(client.get(url, headers=auth))
    assert got[0] == "t2" and not any(i.startswith("b") for i in got)
    # Out of stock: b3 disappears everywhere.
    client.put("/v1/recommendations/rules", json={}, headers=auth)
    client.post("/v1/catalog/items", json={"items": [{**CATALOG[2], "available": "hết hàng"}]},
                headers=auth)  # fmt: skip
    client.app.state.ctx.recommender.index.invalidate()  # type: ignore[attr-defined]
    assert "b3" not in _items(client.get(url, headers=auth))
    seg = client.post("/v1/segments", json={"name": "P8", "definition": {
        "has": "user_id"}}, headers=auth).json()["segment_id"]  # fmt: skip
    client.put("/v1/recommendations/rules", json={"segment_filters": [
        {"segment_id": seg, "categories": ["tea"]}]}, headers=auth)  # fmt: skip
    assert all(i.startswith("t") for i in _items(client.get(url, headers=auth)))


def test_clicks_and_orders_are_attributed(
    api: tuple[TestClient, dict[str, str]], workspace: Workspace
) -> None:
    client, auth = api
    rec = client.get("/v1/profiles/p8/recommendations?k=3&placement=home", headers=auth).json()
    client.get("/v1/profiles/q9/recommendations?k=3&placement=email", headers=auth)
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    click = event(
        "track",
        _at(0),
        user_id="p8",
        event="Product Clicked",
        properties={"product_id": "b3", "recommendation_id": rec["recommendation_id"]},
    )
    later = _at(-5 / 1440)
    order = event("track", later, user_id="p8", event="Order Completed", properties={
        "order_id": "p8-rec", "currency": "VND",
        "products": [{"product_id": "b3", "price": 17000, "quantity": 2}]})  # fmt: skip
    click["timestamp"] = click["received_at"] = NOW
    load(store, [click, order], {})
    report = client.get("/v1/reports/recommendations", headers=auth).json()
    by = {r["placement"]: r for r in report}
    assert by["home"]["served"] == 1 and by["home"]["clicks"] == 1
    assert by["home"]["click_through_rate"] == 1.0
    assert by["home"]["orders"] == 1 and by["home"]["revenue"] == 34000
    assert by["email"]["clicks"] == 0 and by["email"]["revenue"] == 0


def test_bad_requests(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    get = client.get
    assert get("/v1/profiles/nobody/recommendations", headers=auth).status_code == 404
    assert "no profile" in get("/v1/profiles/nobody/recommendations", headers=auth).text
    assert get("/v1/items/zzz/similar", headers=auth).status_code == 404
    assert get("/v1/profiles/p8/recommendations?context=product:zzz",
               headers=auth).status_code == 404  # fmt: skip
    for query in (
        "k=0",
        "k=10000",
        "context=garbage",
        "context=product:",
        "context=home:x",
        f"context=product:{'x' * 300}",
        "placement=",
    ):
        res = get(f"/v1/profiles/p8/recommendations?{query}", headers=auth)
        assert res.status_code == 400, (query, res.text)
    put = client.put
    assert put("/v1/recommendations/rules", json={"max_per_category": 0},
               headers=auth).status_code == 400  # fmt: skip
    assert put("/v1/recommendations/rules", json={"unknown": 1}, headers=auth).status_code == 400
    assert put("/v1/recommendations/rules", json={"category_multipliers": {"x": 1e9}},
               headers=auth).status_code == 400  # fmt: skip
    assert put("/v1/recommendations/rules", content=b"{" * 3000,
               headers=auth).status_code == 400  # fmt: skip
    report = client.post("/v1/catalog/items", headers=auth, json={"items": [
        {"id": "", "price": 1}, {"id": "x1", "price": -5}, {"id": "x2", "price": "NaN"},
        {"id": "x3", "available": "maybe"}, {"id": "ok", "price": "12.5"}]}).json()  # fmt: skip
    assert report["accepted"] == 1 and [e["row"] for e in report["errors"]] == [1, 2, 3, 4]
    csv_body = b"id,name,category,price\nc1,Cafe,coffee,10\n,No id,coffee,1\n"
    imported = client.post("/v1/catalog/import?file_name=c.csv", content=csv_body, headers=auth)
    assert imported.json()["accepted"] == 1 and imported.json()["rejected"] == 1
    assert get("/v1/reports/recommendations?from=2024-02-01&to=2024-01-01",
               headers=auth).status_code == 400  # fmt: skip
    assert get("/v1/profiles/p8/recommendations").status_code == 401
    for price in ({}, [], True, "abc", "1e999", -1):
        res = client.put("/v1/catalog/items/zz", json={"price": price}, headers=auth)
        assert res.status_code == 400, (price, res.text)


def test_events_since_training_rerank_the_answer(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    before = _items(client.get("/v1/profiles/p9/recommendations?k=3", headers=auth))
    assert before[0] == "b3"
    # p9, a beer drinker, now looks at tea and buys b3: tea comes up, b3 drops out.
    viewed = event("track", _at(0), user_id="p9", event="Product Viewed",
                   properties={"product_id": "t1"})  # fmt: skip
    bought = event("track", _at(0), user_id="p9", event="Order Completed",
                   properties={"product_id": "b3", "order_id": "p9-new"})  # fmt: skip
    for e in (viewed, bought):
        e["timestamp"] = e["received_at"] = datetime.now(UTC)
    load(store, [viewed, bought], {})
    recommender = client.app.state.ctx.recommender  # type: ignore[attr-defined]
    recommender.recent._checked = 0.0  # the next answer starts a refresh (normally <= 1 s)
    client.get("/v1/profiles/p9/recommendations?k=3", headers=auth)
    deadline = time.monotonic() + 10
    after = before
    while time.monotonic() < deadline and "b3" in after:
        time.sleep(0.1)
        after = _items(client.get("/v1/profiles/p9/recommendations?k=3", headers=auth))
    assert "b3" not in after and after[0] in {"t2", "t3"}, after
