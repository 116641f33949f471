"""In-app / web messages: sent through the channel class into a real workspace, fetched and
marked through the HTTP API with a secret key and with a write key, events recorded once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.helpers import basic, bearer
from tests.profiles.traits_data import event, load
from unicx.api import create_app
from unicx.api import inbox as inbox_api
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.channels.base import (
    ChannelContext,
    OutboundMessage,
    TerminalSendError,
    channel_names,
    get_channel,
)
from unicx.channels.config import read_config, save_config
from unicx.channels.inapp import InAppChannel, InboxConfig, WebChannel, safe_link
from unicx.channels.inbox import list_messages
from unicx.channels.person_token import person_token, read_secret
from unicx.config import Settings, load_settings
from unicx.store import Store
from unicx.workspace import init_workspace

PROFILES = {"p-lan": [("user_id", "lan")], "p-minh": [("user_id", "minh")]}


def _app(settings: Settings) -> FastAPI:
    app = create_app(settings.model_copy(update={"journeys_enabled": False}))
    paths = {getattr(r, "path", "") for r in app.routes}
    if not any(getattr(r, "path", "") in paths for r in inbox_api.router.routes):
        app.include_router(inbox_api.router)  # until app.py registers it
    return app


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    settings = load_settings(workspace=tmp_path_factory.mktemp("inbox") / "ws")
    keys = init_workspace(settings)
    with TestClient(_app(settings)) as c:
        store = _store(c)
        load(store, [event("identify", "2024-06-01 10:00", user_id="lan")], PROFILES)
        yield c, keys


@pytest.fixture
def api(shared: tuple[TestClient, Any]) -> TestClient:
    c = shared[0]
    with _store(c).session() as s, s.transaction():
        for table in ("inbox", "messages", "message_events", "channel_configs"):
            s.execute(f"DELETE FROM {table}", step="test.reset")
    c.headers.clear()
    return c


def _store(c: TestClient) -> Store:
    store: Store = c.app.state.ctx.store  # type: ignore[attr-defined]
    return store


def _ctx(c: TestClient) -> ChannelContext:
    return ChannelContext(store=_store(c), settings=c.app.state.ctx.settings)  # type: ignore[attr-defined]


def msg(
    mid: str, *, profile: str = "p-lan", channel: str = "web", **content: Any
) -> OutboundMessage:
    parts = {"title": "Ưu đãi cuối tuần", "body": "Giảm 20% cho bạn", **content}
    return OutboundMessage(message_id=mid, profile_id=profile, channel=channel, address=profile,
                           content=parts)  # fmt: skip


def _send(c: TestClient, message: OutboundMessage, cls: Any = WebChannel) -> None:
    with _store(c).session() as s:
        config = read_config(s, cls.name)
    cls(_ctx(c)).send(message, config)


def _rows(c: TestClient, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with _store(c).session() as s:
        return s.fetchall(sql, params, step="test.rows")


def _events(c: TestClient, name: str) -> list[dict[str, Any]]:
    rows = _rows(
        c, "SELECT user_id, CAST(properties AS VARCHAR) FROM events WHERE event = ?", [name]
    )
    return [{"user_id": r[0], **json.loads(r[1])} for r in rows]


def _secret(shared: tuple[TestClient, Any]) -> dict[str, str]:
    return bearer(shared[1].secret_key)


def _page(shared: tuple[TestClient, Any], user_id: str = "lan") -> dict[str, str]:
    """How a page calls: the write key plus the person token its backend issued."""
    store = _store(shared[0])
    token = person_token(bytes.fromhex(read_secret(store)), user_id)
    return basic(shared[1].write_key) | {"X-Unicx-User-Id": user_id, "X-Unicx-User-Token": token}


def test_registered_with_parts() -> None:
    assert {"web", "in_app"} <= set(channel_names())
    for name in ("web", "in_app"):
        cls = get_channel(name)
        assert cls is not None and cls.address_kind == "profile"
        assert cls.required_parts == ("title", "body")
        assert cls.optional_parts == ("url", "image", "cta")
    assert InboxConfig().ttl_days == 30 and InboxConfig().max_per_profile == 50


def test_send_is_idempotent_and_sets_expiry(api: TestClient) -> None:
    _send(api, msg("m1", url="https://shop.vn/sale", cta="Mua ngay"))
    _send(api, msg("m1", title="changed on resend"))  # a resend after a crash
    rows = _rows(api, "SELECT profile_id, channel, CAST(content AS VARCHAR), "
                 "expires_at - created_at FROM inbox", [])  # fmt: skip
    assert len(rows) == 1
    pid, channel, content, ttl = rows[0]
    assert (pid, channel, ttl) == ("p-lan", "web", timedelta(days=30))
    assert json.loads(content) == {"title": "Ưu đãi cuối tuần", "body": "Giảm 20% cho bạn",
                                   "url": "https://shop.vn/sale", "cta": "Mua ngay"}  # fmt: skip
    with _store(api).session() as s, s.transaction():
        save_config(s, "in_app", {"ttl_days": 2}, now=datetime.now(UTC), allow=[])
    _send(api, msg("m2", channel="in_app"), InAppChannel)
    (ttl2,) = _rows(api, "SELECT expires_at - created_at FROM inbox WHERE message_id = 'm2'", [])
    assert ttl2[0] == timedelta(days=2)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [({"title": ""}, "lacks title"), ({"body": None}, "lacks body"),
     ({"url": "javascript:alert(1)"}, "'url'"), ({"image": "data:text/html,x"}, "'image'"),
     ({"url": "//evil.example/x"}, "'url'"), ({"title": 5}, "must be text"),
     ({"body": "x" * 20_000}, "bytes")],
)  # fmt: skip
def test_bad_content_is_terminal(api: TestClient, content: dict[str, Any], fragment: str) -> None:
    with pytest.raises(TerminalSendError, match=fragment):
        _send(api, msg("bad", **content))
    assert _rows(api, "SELECT * FROM inbox", []) == []


LINKS = [
    # (link, safe): what a browser would do with it decides.
    ("/sale", True), ("/sản-phẩm/áo?màu=đỏ#top", True), ("https://shop.example.vn/a?b=1", True),
    ("http://shop.example.vn:8080/", True), ("HTTPS://SHOP.EXAMPLE.VN/", True),
    ("/path?next=//elsewhere", True),
    ("/\\evil.example", False), ("\\\\evil.example", False), ("//evil.example", False),
    ("/\t/evil.example", False), ("/\n/evil.example", False), ("/\r/evil.example", False),
    ("https:/evil.example", False), ("https:evil.example", False), ("https:///evil.example", False),
    ("https://good.example@evil.example", False), ("https://good.example:x@evil.example/", False),
    ("https://evil.example\\@good.example/", False), ("ht\ttps://evil.example", False),
    ("javascript:alert(1)", False), ("java\nscript:alert(1)", False), ("data:text/html,x", False),
    ("vbscript:x", False), ("", False), ("evil.example", False), ("https://", False),
    ("https://shop.example.vn:99999/", False), ("/a b", False), ("/\x00/evil", False),
    ("ftp://files.example.vn/", False), ("https://shop.example.vn/\x7f", False),
]  # fmt: skip


@pytest.mark.parametrize(("link", "safe"), LINKS)
def test_safe_link(link: str, safe: bool) -> None:
    assert safe_link(link) is safe


@pytest.mark.parametrize("link", [link for link, safe in LINKS if not safe and link])
def test_unsafe_links_are_not_stored(api: TestClient, link: str) -> None:
    with pytest.raises(TerminalSendError, match="'url'"):
        _send(api, msg("bad", url=link))
    assert _rows(api, "SELECT * FROM inbox", []) == []


def test_fetch_with_secret_key_and_write_key(
    api: TestClient, shared: tuple[TestClient, Any]
) -> None:
    _send(api, msg("m1", url="/sale"))
    _send(api, msg("m2", title="Second"))
    _send(api, msg("m3", profile="p-minh"))
    _send(api, msg("m4", channel="in_app"), InAppChannel)
    for auth in (_secret(shared), _page(shared)):
        res = api.get("/v1/profiles/p-lan/messages", headers=auth)
        assert res.status_code == 200, res.text
        body = res.json()
        assert [m["message_id"] for m in body["messages"]] == ["m2", "m1"]  # newest first
        assert body["unseen"] == 2
        assert {m["url"] for m in body["messages"]} == {"/sale", None}
    res = api.get("/v1/profiles/p-lan/messages", params={"channel": "in_app"},
                  headers=_secret(shared))  # fmt: skip
    assert [m["message_id"] for m in res.json()["messages"]] == ["m4"]


def test_mark_seen_clicked_records_once(api: TestClient, shared: tuple[TestClient, Any]) -> None:
    _send(api, msg("m1", url="https://shop.vn/sale"))
    _send(api, msg("m2"))
    with _store(api).session() as s, s.transaction():
        now = datetime.now(UTC)
        s.execute(
            "INSERT INTO messages (message_id, profile_id, channel, category, journey_id, "
            "node_id, spec, status, created_at, due_at, updated_at) VALUES "
            "('m1', 'p-lan', 'web', 'marketing', 'j-welcome', 'n-banner', '{}', 'sent', ?, ?, ?)",
            [now, now, now],
            step="test.message",
        )
    wk = _page(shared)
    res = api.post("/v1/profiles/p-lan/messages/m1/seen", headers=wk)
    assert res.status_code == 200, res.text
    assert res.json()["seen_at"] is not None and res.json()["clicked_at"] is None
    seen_at = res.json()["seen_at"]
    for _ in range(2):  # repeated: nothing new recorded
        res = api.post("/v1/profiles/p-lan/messages/m1/clicked", headers=wk)
        assert res.status_code == 200 and res.json()["seen_at"] == seen_at
    api.post("/v1/profiles/p-lan/messages/m1/seen", headers=_secret(shared))
    statuses = _rows(api, "SELECT status FROM message_events WHERE message_id = 'm1' "
                     "ORDER BY happened_at, status DESC", [])  # fmt: skip
    assert [r[0] for r in statuses] == ["seen", "clicked"]
    (viewed,) = _events(api, "In-App Message Viewed")
    assert viewed == {"user_id": "lan", "message_id": "m1", "journey_id": "j-welcome",
                      "node_id": "n-banner", "channel": "web"}  # fmt: skip
    (clicked,) = _events(api, "Message Clicked")
    assert clicked["url"] == "https://shop.vn/sale" and clicked["journey_id"] == "j-welcome"
    # Only the unseen message is left when seen ones are left out.
    res = api.get("/v1/profiles/p-lan/messages", params={"include_seen": "false"}, headers=wk)
    assert [m["message_id"] for m in res.json()["messages"]] == ["m2"]
    # A click without a prior "seen" implies it; dismissing hides the message.
    api.post("/v1/profiles/p-lan/messages/m2/dismissed", headers=wk)
    assert {e["message_id"] for e in _events(api, "In-App Message Viewed")} == {"m1", "m2"}
    (dismissed,) = _events(api, "In-App Message Dismissed")
    assert dismissed["journey_id"] is None and dismissed["message_id"] == "m2"
    res = api.get("/v1/profiles/p-lan/messages", headers=wk)
    assert [m["message_id"] for m in res.json()["messages"]] == ["m1"]


def test_expired_and_capped_not_listed(api: TestClient, shared: tuple[TestClient, Any]) -> None:
    store = _store(api)
    _send(api, msg("old"))
    _send(api, msg("new"))
    later = datetime.now(UTC) + timedelta(days=31)
    assert list_messages(store, "p-lan", channel="web", now=later).messages == []
    with store.session() as s, s.transaction():
        s.execute("UPDATE inbox SET expires_at = now() - INTERVAL 1 MINUTE "
                  "WHERE message_id = 'old'", step="test.expire")  # fmt: skip
    res = api.get("/v1/profiles/p-lan/messages", headers=_secret(shared))
    assert [m["message_id"] for m in res.json()["messages"]] == ["new"]
    # Over max_per_profile, the oldest drop off the list.
    with store.session() as s, s.transaction():
        save_config(s, "web", {"max_per_profile": 2}, now=datetime.now(UTC), allow=[])
    for i in range(3):
        _send(api, msg(f"n{i}"))
    page = list_messages(store, "p-lan", channel="web", now=datetime.now(UTC))
    assert [m.message_id for m in page.messages] == ["n2", "n1"]


def test_auth_and_unknown(api: TestClient, shared: tuple[TestClient, Any]) -> None:
    _send(api, msg("m1"))
    _send(api, msg("m-minh", profile="p-minh"))
    path = "/v1/profiles/p-lan/messages"
    bad_auth = [{}, bearer("sk_wrong"), basic("wk_wrong"),
                {"Authorization": "Basic !!notbase64"}, {"Authorization": "Token x"}]  # fmt: skip
    for headers in bad_auth:
        assert api.get(path, headers=headers).status_code == 401, headers
        assert api.post(f"{path}/m1/seen", headers=headers).status_code == 401
    access: AccessService = api.app.state.ctx.access  # type: ignore[attr-defined]
    viewer = access.create_api_key("viewer", Role.viewer).secret_key
    assert api.get(path, headers=bearer(viewer)).status_code == 403
    auth = _secret(shared)
    assert api.get("/v1/profiles/p-nobody/messages", headers=auth).status_code == 404
    assert api.post("/v1/profiles/p-nobody/messages/m1/seen", headers=auth).status_code == 404
    assert api.post(f"{path}/m-unknown/seen", headers=auth).status_code == 404
    # Another person's message is not reachable through this profile.
    assert api.post(f"{path}/m-minh/clicked", headers=auth).status_code == 404
    for bad in (f"{path}?channel=email", f"{path}?limit=0", f"{path}?include_seen=maybe"):
        res = api.get(bad, headers=auth)
        assert res.status_code == 400 and res.json()["issues"], bad
    assert api.post(f"{path}/m1/deleted", headers=auth).status_code == 400
    assert api.get("/v1/profiles/" + "x" * 65 + "/messages", headers=auth).status_code == 400
    assert api.post(f"{path}/{'m' * 201}/seen", headers=auth).status_code == 400
    assert _rows(api, "SELECT count(*) FROM message_events", []) == [(0,)]


def test_created_and_expiring_on_the_outbox_clock(api: TestClient) -> None:
    """Under a journey clock moved ahead (clock_control, simulations), a message is stored at
    that time and expires ttl_days after it, not after the wall clock."""
    ahead = datetime(2031, 1, 1, 9, 0, tzinfo=UTC)
    ctx = ChannelContext(store=_store(api), settings=_ctx(api).settings, now=lambda: ahead)
    with _store(api).session() as s:
        config = read_config(s, "web")
    WebChannel(ctx).send(msg("future"), config)
    (row,) = _rows(api, "SELECT created_at, expires_at FROM inbox", [])
    assert row == (ahead, ahead + timedelta(days=30))
    store = _store(api)
    listed = list_messages(store, "p-lan", channel="web", now=ahead + timedelta(days=29))
    assert [m.message_id for m in listed.messages] == ["future"]
    gone = list_messages(store, "p-lan", channel="web", now=ahead + timedelta(days=31))
    assert gone.messages == []
