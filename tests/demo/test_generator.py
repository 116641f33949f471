"""The demo stream: reproducible, accepted by the real validator, shaped like a real shop."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from unicx.config import load_settings
from unicx.demo import batches, generate_events
from unicx.demo.stream import format_vnd
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.validate import decode_batch

NOW = datetime(2025, 6, 1, 5, 30, tzinfo=UTC)
Event = dict[str, Any]


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return list(generate_events(users=300, seed=7, now=NOW))


def _tracks(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e["type"] == "track" and e["event"] == name]


def test_same_seed_gives_identical_events() -> None:
    again = list(generate_events(users=60, seed=7, now=NOW))
    assert list(generate_events(users=60, seed=7, now=NOW)) == again
    other = list(generate_events(users=60, seed=8, now=NOW))
    assert {e["messageId"] for e in other}.isdisjoint(e["messageId"] for e in again)


def test_now_moves_timestamps_only() -> None:
    # `unicx demo` generates with the wall clock; its tests count on the same number of events.
    def shape(now: datetime) -> Counter[tuple[str, str]]:
        return Counter(
            (e["type"], e.get("event", "")) for e in generate_events(users=40, seed=7, now=now)
        )

    assert shape(NOW) == shape(NOW + timedelta(days=17, hours=5, minutes=3))


def test_every_event_passes_the_real_validator(events: list[Event], tmp_path: Path) -> None:
    limits = Limits.from_settings(load_settings(workspace=tmp_path))
    info = RequestInfo(source_id="src_demo", received_at=NOW, peer_ip="127.0.0.1")
    sent = 0
    for batch in batches(events, 300):
        decoded = decode_batch(orjson.dumps({"batch": batch}), info=info, limits=limits)
        assert decoded.issues == []
        assert len(decoded.rows) == len(batch)
        sent += len(batch)
    assert sent > 1000


def test_ids_and_timestamps(events: list[Event]) -> None:
    assert len({e["messageId"] for e in events}) == len(events)
    assert all(e["timestamp"].endswith("+07:00") for e in events)
    times = [datetime.fromisoformat(e["timestamp"]) for e in events]
    assert times == sorted(times)
    assert NOW - timedelta(days=367) < times[0] and times[-1] < NOW
    assert times[0] < NOW - timedelta(days=300)  # the history spans about a year


def test_daily_rhythm_peaks_at_lunch_and_evening(events: list[Event]) -> None:
    vietnam = [e for e in events if e["context"]["timezone"] == "Asia/Ho_Chi_Minh"]
    hours = Counter(datetime.fromisoformat(e["timestamp"]).hour for e in vietnam)
    evening, lunch, night = hours[20] + hours[21], hours[12], hours[3] + hours[4]
    assert evening > 2 * hours[9] and lunch > hours[9] and night * 10 < evening


def test_a_few_percent_of_sessions_convert(events: list[Event]) -> None:
    sessions = {(e["anonymousId"], e["context"]["sessionId"]) for e in events}
    converted = {
        (e["anonymousId"], e["context"]["sessionId"]) for e in _tracks(events, "Order Completed")
    }
    assert len(sessions) > 300
    # A first visit converts at a few percent; regulars' shopping trips lift the whole.
    assert 0.03 <= len(converted) / len(sessions) <= 0.20


def test_orders_add_up(events: list[Event]) -> None:
    orders = _tracks(events, "Order Completed")
    assert orders
    for order in orders:
        p = order["properties"]
        assert p["currency"] == "VND"
        assert p["revenue"] == sum(i["price"] * i["quantity"] for i in p["products"])
        assert p["total"] == p["revenue"] - p["discount"] + p["shipping"]
        assert set(p["products"][0]) == {
            "product_id",
            "sku",
            "name",
            "category",
            "price",
            "quantity",
        }
    assert len({o["properties"]["order_id"] for o in orders}) == len(orders)


def test_people_spell_themselves_in_several_ways(events: list[Event]) -> None:
    traits = [e["traits"] for e in events if e["type"] == "identify"]
    phones = [t["phone"] for t in traits]
    assert any(p.startswith("09") or p.startswith("03") for p in phones)
    assert any(p.startswith("+84") for p in phones)
    names = [t["name"] for t in traits if t["address"]["country"] == "Vietnam"]
    assert any(not n.isascii() for n in names) and any(n.isascii() for n in names)
    domains = Counter(t["email"].rsplit("@", 1)[1].lower() for t in traits)
    assert all(d.endswith(".example") for d in domains)  # never a deliverable address
    domains = Counter(d.removesuffix(".example") for d in domains.elements())
    assert domains["gmail.com"] and domains["yahoo.com.vn"]
    assert any(d.endswith(".vn") and d != "yahoo.com.vn" for d in domains)  # company mail


def test_some_people_use_two_devices(events: list[Event]) -> None:
    devices: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if "userId" in e:
            devices[e["userId"]].add(e["anonymousId"])
    assert any(len(ids) >= 2 for ids in devices.values())
    app_ids = {e["anonymousId"] for e in events if "app" in e["context"]}
    aliases = [e for e in events if e["type"] == "alias"]
    assert aliases and all(a["previousId"] in app_ids and a["userId"] for a in aliases)


def test_stream_covers_the_spec(events: list[Event]) -> None:
    types = Counter(e["type"] for e in events)
    assert set(types) == {"track", "page", "screen", "identify", "group", "alias"}
    assert types["page"] > types["screen"] > types["group"] > 0
    for name in (
        "Product Viewed",
        "Product Added",
        "Cart Viewed",
        "Checkout Started",
        "Consent Updated",
    ):
        assert _tracks(events, name), name
    libraries = {e["context"]["library"]["name"] for e in events}
    assert libraries == {"analytics.js", "analytics-ios", "analytics-android"}
    zones = {e["context"]["timezone"] for e in events}
    assert "Asia/Ho_Chi_Minh" in zones and len(zones) > 1  # a few foreign visitors
    pages = [e for e in events if e["type"] == "page"]
    assert any("campaign" in e["context"] for e in pages)
    assert all(e["context"]["page"]["url"] == e["properties"]["url"] for e in pages)
    assert all(
        e["context"]["ip"].startswith(("203.0.113.", "198.51.100.", "192.0.2.")) for e in events
    )


def test_vietnamese_and_international_people_across_places(events: list[Event]) -> None:
    places = {
        (t["address"]["country"], t["address"]["city"])
        for t in (e["traits"] for e in events if e["type"] == "identify")
    }
    countries = Counter(country for country, _ in places)
    assert len({city for country, city in places if country == "Vietnam"}) >= 12  # provinces
    assert len(countries) >= 5  # and abroad
    by_person = {e["anonymousId"]: e["context"]["location"]["country"] for e in events}
    abroad = sum(country != "Vietnam" for country in by_person.values()) / len(by_person)
    assert 0.05 < abroad < 0.25


def test_web_ios_and_android(events: list[Event]) -> None:
    devices: Counter[str] = Counter()
    for e in events:
        app = e["context"].get("device")
        devices[app["type"] if app else "web"] += 1
    assert {"web", "ios", "android"} <= set(devices)
    assert all(share > 0.1 for share in (n / devices.total() for n in devices.values()))


def test_the_catalog_covers_the_seed_categories_in_both_languages(events: list[Event]) -> None:
    from unicx.demo import catalog as c

    assert set(c.CATEGORIES_EN.values()) == {
        "Tea", "Coffee", "Beer", "Whisky", "Sake", "Fashion", "Cosmetics", "Electronics",
    }  # fmt: skip
    assert all(p.name_en and p.price % 1000 == 0 for p in c.PRODUCTS)  # VND, whole thousands
    bought = Counter(
        line["category"]
        for e in _tracks(events, "Order Completed")
        for line in e["properties"]["products"]
    )
    assert len(bought) == 8
    names = {line["name"] for e in _tracks(events, "Product Added") for line in [e["properties"]]}
    assert any(n in {p.name_en for p in c.PRODUCTS} for n in names)  # English readers
    assert any(n in {p.name for p in c.PRODUCTS} for n in names)


def test_regulars_buy_again_over_the_year(events: list[Event]) -> None:
    orders = _tracks(events, "Order Completed")
    by_person = Counter(o.get("userId") or o["anonymousId"] for o in orders)
    repeat = [who for who, n in by_person.items() if n > 1]
    assert len(repeat) > 0.3 * len(by_person)
    months = {datetime.fromisoformat(o["timestamp"]).strftime("%Y-%m") for o in orders}
    assert len(months) >= 12


def test_batches_and_money_format() -> None:
    assert [len(b) for b in batches(range(250), 100)] == [100, 100, 50]
    assert format_vnd(1_250_000) == "1.250.000 ₫"
    assert format_vnd(0) == "0 ₫"
