"""The official Segment and RudderStack Python SDKs, changed only in their host, against a real
`unicx serve`: every call type arrives once, intact, and enriched.

Both SDKs post to ``/v1/batch`` with HTTP Basic (write key as user name) and the header
``User-Agent: analytics-python/<version>``; Segment also puts ``writeKey`` in the body and
gzips only when asked, RudderStack gzips by default and moves identify traits into
``context.traits``. Every SDK call returns the message exactly as it will be sent, so the
assertions compare against the SDK's own output, not against a copy of what we think it sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pytest
import rudderstack.analytics
import segment.analytics

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer

UA_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
UA_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
)
UA_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# 01:30 UTC on Friday 2024-03-15 is 08:30 in Ho Chi Minh City (UTC+7, no DST): a local hour
# that UTC would get wrong, so the assertion proves the zone was applied.
WHEN = datetime(2024, 3, 15, 1, 30, tzinfo=UTC)
LOCAL_HOUR, LOCAL_WEEKDAY = 8, 5
USER_ID = "u-lan-0001"
ANON_ID = "anon-7f3c9a2e"
CAMPAIGN = {
    "source": "facebook",
    "medium": "cpc",
    "name": "tet-2024",
    "term": "áo dài",
    "content": "banner-hero",
}


@dataclass(frozen=True)
class Device:
    user_agent: str
    device_type: str
    os_name: str
    browser_name: str


IPHONE = Device(UA_IPHONE, "mobile", "iOS", "Mobile Safari")
ANDROID = Device(UA_ANDROID, "mobile", "Android", "Chrome Mobile")
DESKTOP = Device(UA_DESKTOP, "desktop", "Windows", "Chrome")


@dataclass(frozen=True)
class Sent:
    """One call as the SDK put it on the wire, and the device it claimed to come from."""

    msg: dict[str, Any]
    device: Device
    page_url: str

    @property
    def message_id(self) -> str:
        return str(self.msg["messageId"])

    @property
    def traits(self) -> dict[str, Any] | None:
        # RudderStack's identify carries traits only in context.traits; unicx stores them as
        # the identify's traits so profiles see the same thing from either SDK.
        if self.msg["type"] == "identify" and "traits" not in self.msg:
            return dict(self.msg["context"]["traits"])
        return self.msg.get("traits")


# -- clients ----------------------------------------------------------------------------------

ClientFactory = Callable[[str, str, list[Exception]], Any]


def segment_client(*, gzip: bool) -> ClientFactory:
    def make(url: str, write_key: str, errors: list[Exception]) -> Any:
        return segment.analytics.Client(
            write_key=write_key,
            host=url,
            gzip=gzip,
            max_retries=0,  # a failure must show up in `errors`, not hide behind retries
            upload_interval=0.05,
            on_error=lambda exc, _batch: errors.append(exc),
        )

    return make


def rudder_client(url: str, write_key: str, errors: list[Exception]) -> Any:
    # `rudderstack.analytics.dataPlaneUrl = url` ends up as Client(host=url) in the SDK.
    return rudderstack.analytics.Client(
        write_key=write_key,
        host=url,
        max_retries=0,
        upload_interval=0.05,
        on_error=lambda exc, _batch: errors.append(exc),
    )


def context(device: Device, page_url: str) -> dict[str, Any]:
    """A fresh dict per call: the SDKs add `library` (and RudderStack `traits`) in place."""
    return {
        "userAgent": device.user_agent,
        "timezone": "Asia/Ho_Chi_Minh",
        "ip": "113.161.72.10",
        "locale": "vi-VN",
        "campaign": dict(CAMPAIGN),
        "page": {
            "url": page_url,
            "path": page_url.removeprefix("https://shop.example.vn").split("?")[0],
            "referrer": "https://www.facebook.com/",
        },
    }


def send_every_call(client: Any) -> list[Sent]:
    """identify, track, page, screen, group and alias, as a shop in Vietnam would send them."""
    out: list[Sent] = []

    def call(method: str, device: Device, path: str, **kwargs: Any) -> None:
        url = f"https://shop.example.vn{path}?utm_source=facebook&utm_campaign=tet-2024"
        ok, msg = getattr(client, method)(
            context=context(device, url), timestamp=WHEN + timedelta(minutes=len(out)), **kwargs
        )
        assert ok, f"{method} was not queued"
        out.append(Sent(msg, device, url))

    call(
        "identify",
        IPHONE,
        "/tai-khoan",
        user_id=USER_ID,
        anonymous_id=ANON_ID,
        traits={
            "name": "Nguyễn Thị Lan",
            "email": "lan.nguyen@example.vn",
            "phone": "+84 912 345 678",
            "city": "Hà Nội",
        },
    )
    call(
        "track",
        ANDROID,
        "/thanh-toan",
        user_id=USER_ID,
        event="Order Completed",
        properties={
            "order_id": "DH-20240315-001",
            "revenue": 1_250_000,
            "currency": "VND",
            "products": [
                {"product_id": "AO-DAI-01", "name": "Áo dài lụa", "price": 850_000, "quantity": 1},
                {"product_id": "NON-LA-02", "name": "Nón lá", "price": 200_000, "quantity": 2},
            ],
        },
    )
    call(
        "page",
        DESKTOP,
        "/san-pham/ao-dai",
        user_id=USER_ID,
        category="Sản phẩm",
        name="Áo dài lụa",
        properties={"title": "Áo dài lụa | Cửa hàng Lan"},
    )
    call(
        "screen",
        IPHONE,
        "/gio-hang",
        anonymous_id=ANON_ID,
        name="Giỏ hàng",
        properties={"items": 3},
    )
    call(
        "group",
        DESKTOP,
        "/doanh-nghiep",
        user_id=USER_ID,
        group_id="cty-abc-hcm",
        traits={
            "name": "Công ty TNHH ABC",
            "industry": "Bán lẻ",
            "employees": 120,
        },
    )
    call("alias", ANDROID, "/dang-nhap", previous_id=ANON_ID, user_id=USER_ID)
    return out


def deliver(make: ClientFactory, server: ServerProcess, workspace: Workspace) -> list[Sent]:
    """Send every call through the SDK's own queue and consumer thread, then wait for it."""
    errors: list[Exception] = []
    client = make(server.url, workspace.write_key, errors)
    sent = send_every_call(client)
    client.shutdown()  # flush the queue, then stop the consumer thread
    assert errors == []
    return sent


# -- reading back -----------------------------------------------------------------------------


def api_events(server: ServerProcess, workspace: Workspace) -> list[dict[str, Any]]:
    res = httpx.get(
        f"{server.url}/v1/events", params={"limit": 1000}, headers=bearer(workspace.secret_key)
    )
    assert res.status_code == 200, res.text
    events: list[dict[str, Any]] = res.json()
    return events


@pytest.fixture
def db_rows(workspace: Workspace) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Rows straight from the DuckDB file, read-only (call after the server has stopped)."""
    cons: list[duckdb.DuckDBPyConnection] = []

    def read() -> list[dict[str, Any]]:
        con = duckdb.connect(str(workspace.settings.db_path), read_only=True)
        cons.append(con)
        cur = con.execute("SELECT * FROM events ORDER BY timestamp")
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    yield read
    for con in cons:
        con.close()


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def loads(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


# -- assertions -------------------------------------------------------------------------------


def check_api_event(event: dict[str, Any], sent: Sent) -> None:
    msg = sent.msg
    assert event["type"] == msg["type"]
    for key in ("userId", "anonymousId", "groupId", "previousId", "event", "name"):
        assert event[key] == msg.get(key), key
    assert event["traits"] == sent.traits
    assert event["properties"] == msg.get("properties")
    assert event["context"] == msg["context"]
    assert event["originalTimestamp"] is not None
    assert parse_ts(event["originalTimestamp"]) == parse_ts(msg["timestamp"])
    # timestamp is skew-corrected (receivedAt - (sentAt - originalTimestamp)): the SDK and the
    # server share a clock here, so it can move only by the request's transit time.
    assert abs(parse_ts(event["timestamp"]) - parse_ts(msg["timestamp"])) < timedelta(seconds=10)
    enrichment = event["enrichment"]
    assert enrichment["device_type"] == sent.device.device_type
    assert enrichment["os_name"] == sent.device.os_name
    assert enrichment["browser_name"] == sent.device.browser_name
    assert (enrichment["local_hour"], enrichment["local_weekday"]) == (LOCAL_HOUR, LOCAL_WEEKDAY)
    assert enrichment["timezone"] == "Asia/Ho_Chi_Minh"
    assert enrichment["page_url"] == sent.page_url
    assert enrichment["utm_source"] == "facebook"
    assert enrichment["ip"] == "113.161.72.10"
    assert enrichment["library_name"] == "analytics-python"


def check_db_row(row: dict[str, Any], sent: Sent) -> None:
    msg = sent.msg
    ids = ("user_id", "anonymous_id", "group_id", "previous_id")
    assert [row[c] for c in ids] == [
        msg.get(k) for k in ("userId", "anonymousId", "groupId", "previousId")
    ]
    assert loads(row["traits"]) == sent.traits
    assert loads(row["properties"]) == msg.get("properties")
    assert loads(row["context"]) == msg["context"]
    assert row["user_agent"] == sent.device.user_agent
    device = (row["device_type"], row["os_name"], row["browser_name"])
    assert device == (sent.device.device_type, sent.device.os_name, sent.device.browser_name)
    assert row["timezone"] == "Asia/Ho_Chi_Minh"
    # The local hour is the stored (corrected) timestamp seen from Ho Chi Minh City.
    assert row["local_hour"] == row["timestamp"].astimezone(HCM).hour == LOCAL_HOUR
    assert row["local_weekday"] == row["timestamp"].astimezone(HCM).isoweekday()
    utm = [row[f"utm_{k}"] for k in ("source", "medium", "campaign", "term", "content")]
    assert utm == [CAMPAIGN[k] for k in ("source", "medium", "name", "term", "content")]
    assert row["page_url"] == sent.page_url
    assert row["page_referrer"] == "https://www.facebook.com/"
    assert (row["ip"], row["locale"]) == ("113.161.72.10", "vi-VN")


def check_stored(
    sent: list[Sent],
    server: ServerProcess,
    workspace: Workspace,
    db_rows: Callable[[], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Compare the API's view and then the file's rows with what the SDK sent; return the rows."""
    by_id = {s.message_id: s for s in sent}
    assert len(by_id) == 6
    events = api_events(server, workspace)
    assert sorted(e["messageId"] for e in events) == sorted(by_id)
    for event in events:
        check_api_event(event, by_id[event["messageId"]])

    assert server.stop() == 0
    rows = db_rows()
    assert sorted(r["message_id"] for r in rows) == sorted(by_id)  # one row per call
    for row in rows:
        check_db_row(row, by_id[row["message_id"]])
    return rows


# -- tests ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(segment_client(gzip=False), id="segment"),
        pytest.param(segment_client(gzip=True), id="segment-gzip"),
        pytest.param(rudder_client, id="rudderstack"),
    ],
)
def test_sdk_sends_every_call_type(
    make: ClientFactory,
    server: ServerProcess,
    workspace: Workspace,
    db_rows: Callable[[], list[dict[str, Any]]],
) -> None:
    sent = deliver(make, server, workspace)
    assert [s.msg["type"] for s in sent] == [
        "identify",
        "track",
        "page",
        "screen",
        "group",
        "alias",
    ]
    rows = {r["type"]: r for r in check_stored(sent, server, workspace, db_rows)}
    # Spelled out, though the comparisons above already cover it: Segment's SDK sends \u escapes
    # (json.dumps default), RudderStack's sends gzipped UTF-8, and both must end up as this text.
    traits = loads(rows["identify"]["traits"])
    assert (traits["name"], traits["phone"]) == ("Nguyễn Thị Lan", "+84 912 345 678")
    products = loads(rows["track"]["properties"])["products"]
    assert [p["name"] for p in products] == ["Áo dài lụa", "Nón lá"]
    assert loads(rows["track"]["properties"])["revenue"] == 1_250_000


@pytest.mark.slow
def test_resent_message_id_is_stored_once(
    server: ServerProcess,
    workspace: Workspace,
    db_rows: Callable[[], list[dict[str, Any]]],
) -> None:
    # sync_mode posts each call on its own and raises on any non-2xx: a retry after a lost
    # answer looks exactly like this, the same messageId in a second request.
    sync = segment.analytics.Client(write_key=workspace.write_key, host=server.url, sync_mode=True)
    order = {"order_id": "DH-1", "revenue": 990_000, "currency": "VND"}
    for _ in range(3):
        sync.track(USER_ID, "Order Completed", dict(order), message_id="retry-1")
    # The queued client may put both copies into one batch: dedupe inside a request as well.
    errors: list[Exception] = []
    queued = segment_client(gzip=True)(server.url, workspace.write_key, errors)
    for _ in range(2):
        queued.track(USER_ID, "Product Viewed", {"sku": "AO-DAI-01"}, message_id="retry-2")
    queued.shutdown()
    assert errors == []

    ids = [e["messageId"] for e in api_events(server, workspace)]
    assert sorted(ids) == ["retry-1", "retry-2"]
    assert server.stop() == 0
    rows = db_rows()
    assert sorted(r["message_id"] for r in rows) == ["retry-1", "retry-2"]
    assert loads(next(r for r in rows if r["message_id"] == "retry-1")["properties"]) == order
