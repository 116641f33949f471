"""Signed tracking tokens and the public routes they lead to: the open pixel, click
redirects and one-click unsubscribe (suppression + consent withdrawn), hostile tokens refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from unicx.api import create_app
from unicx.api import email_tracking as tracking_api
from unicx.channels import tracking
from unicx.errors import NotFoundError
from unicx.store import Store
from unicx.store.secrets import forget_cached
from unicx.workspace import open_store

# Recent: click and open links stop counting click_link_days after their message was queued.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
PROFILE = "prof-anh"
ADDRESS = "anh.nguyen@example.vn"
MESSAGE = "run-1.email.2"


def seed(store: Store, message_id: str = MESSAGE, address: str | None = ADDRESS) -> None:
    """One person (email consent given) and one e-mail sent to them (not 'queued': the app's
    dispatcher would pick that up and try to send it)."""
    with store.session() as s, s.transaction():
        if not s.fetchone("SELECT 1 FROM profiles WHERE profile_id = ?", [PROFILE], step="t"):
            s.execute("INSERT INTO profiles VALUES (?, ?, ?)", [PROFILE, T0, T0], step="t")
            s.execute(
                "INSERT INTO identities VALUES ('user_id', 'u-anh', ?, ?, ?)",
                [PROFILE, T0, T0],
                step="t",
            )
            s.execute(
                "INSERT INTO consents VALUES (?, 'email', true, ?, 'seed/1')",
                [PROFILE, T0],
                step="t",
            )
        s.execute(
            "INSERT INTO messages (message_id, profile_id, channel, category, journey_id, "
            "node_id, spec, address, status, created_at, due_at, updated_at) VALUES "
            "(?, ?, 'email', 'marketing', 'j-cart', 'email', '{}', ?, 'sent', ?, ?, ?)",
            [message_id, PROFILE, address, T0, T0, T0],
            step="t",
        )


def links(store: Store, workspace: Workspace, message_id: str = MESSAGE) -> dict[str, str]:
    with store.session() as s, s.transaction():
        return tracking.links_for(s, workspace.settings, message_id)


def token_of(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[1]
    return last.removesuffix(".gif")


def tampered(token: str) -> list[str]:
    body, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    forged = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged["m"] = "someone-else"
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")
    return [
        f"{body}.{flipped}",
        f"{forged_body}.{sig}",
        f"{body}{sig}",
        f"{body}.{sig}.x",
        f"{deep}.{sig}",  # deeply nested JSON: no RecursionError escapes
        "%%%%.%%%%",
        "a" * (tracking.MAX_TOKEN + 1) + "." + sig,
        "",
    ]


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    try:
        yield s
    finally:
        s.close()


def test_tokens_verify_and_refuse_tampering(store: Store, workspace: Workspace) -> None:
    got = links(store, workspace)
    base = workspace.settings.base_url
    assert got["unsubscribe"].startswith(f"{base}/v1/unsubscribe/")
    assert got["open"].startswith(f"{base}/v1/t/open/") and got["open"].endswith(".gif")
    assert got["click_base"] == f"{base}/v1/t/click/"
    unsub, opened = token_of(got["unsubscribe"]), token_of(got["open"])
    click = token_of(tracking.click_url(got, MESSAGE, "https://shop.example.vn/p/1?q=áo"))
    with store.session() as s:
        assert tracking.verify(s, unsub, "u") == {"k": "u", "m": MESSAGE}
        assert tracking.verify(s, opened, "o") == {"k": "o", "m": MESSAGE}
        assert tracking.verify(s, click, "c")["u"] == "https://shop.example.vn/p/1?q=áo"
        # A token is only good for its own kind: an open token cannot unsubscribe.
        for token, kind in ((opened, "u"), (unsub, "c"), (click, "o")):
            with pytest.raises(NotFoundError):
                tracking.verify(s, token, kind)
        for bad in tampered(unsub):
            with pytest.raises(NotFoundError):
                tracking.verify(s, bad, "u")
    # Deterministic: the same message gets the same links (a re-render links the same).
    assert links(store, workspace) == got
    # Another message's click key cannot sign links of this one.
    other = links(store, workspace, "other-message")
    forged = token_of(tracking.click_url(other, MESSAGE, "https://evil.example/"))
    with store.session() as s, pytest.raises(NotFoundError):
        tracking.verify(s, forged, "c")


def test_secret_is_kept_in_the_workspace(store: Store, workspace: Workspace) -> None:
    first = links(store, workspace)
    forget_cached()  # as after a restart
    assert links(store, workspace) == first
    with store.session() as s:
        row = s.fetchone("SELECT value FROM workspace_meta WHERE key = 'tracking_secret'", step="t")
    assert row is not None and len(str(row[0])) == 64
    # A secret created in a transaction that rolled back is neither cached nor kept.
    with store.session() as s:
        s.execute("DELETE FROM workspace_meta WHERE key = 'tracking_secret'", step="t")
    forget_cached()
    with pytest.raises(RuntimeError), store.session() as s, s.transaction():
        lost = tracking.links_for(s, workspace.settings, MESSAGE)
        raise RuntimeError("rolled back")
    kept = links(store, workspace)
    assert kept != first and kept != lost
    assert links(store, workspace) == kept


@pytest.fixture
def app_client(workspace: Workspace) -> Iterator[TestClient]:
    app = create_app(workspace.settings)
    if not any(getattr(r, "path", "").startswith("/v1/t/open") for r in app.routes):
        app.include_router(tracking_api.router)
    with TestClient(app) as c:
        yield c


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.ctx.store  # type: ignore[attr-defined]
    return store


def _rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return s.fetchall(sql, params or [], step="t")


def test_open_pixel_records_once(app_client: TestClient, workspace: Workspace) -> None:
    store = _store(app_client)
    seed(store)
    url = links(store, workspace)["open"]
    path = urlsplit(url).path
    for _ in range(3):
        res = app_client.get(path)
        assert res.status_code == 200 and res.headers["content-type"] == "image/gif"
        assert res.content.startswith(b"GIF89a")
    events = _rows(store, "SELECT status FROM message_events WHERE message_id = ?", [MESSAGE])
    assert events == [("opened",)]
    tracked = _rows(store, "SELECT user_id, properties FROM events WHERE event = 'Email Opened'")
    assert len(tracked) == 1 and tracked[0][0] == "u-anh"
    assert json.loads(tracked[0][1]) == {
        "message_id": MESSAGE,
        "journey_id": "j-cart",
        "node_id": "email",
        "channel": "email",
    }
    # Bad tokens still get the image (no broken picture in the mail) but count nothing.
    for bad in [*tampered(token_of(url))[:-2], "x", "a" * 10_000]:
        res = app_client.get(f"/v1/t/open/{bad}.gif")
        assert res.status_code == 200 and res.content.startswith(b"GIF89a"), bad[:40]
        assert len(_rows(store, "SELECT 1 FROM message_events")) == 1, bad[:40]
    assert len(_rows(store, "SELECT 1 FROM message_events")) == 1


def test_click_redirects_and_records(app_client: TestClient, workspace: Workspace) -> None:
    store = _store(app_client)
    seed(store)
    got = links(store, workspace)
    target = "https://shop.example.vn/p/ao-dai?utm=email&x=1"
    path = urlsplit(tracking.click_url(got, MESSAGE, target)).path
    for _ in range(2):
        res = app_client.get(path, follow_redirects=False)
        assert res.status_code == 302 and res.headers["location"] == target
    clicks = _rows(
        store,
        "SELECT detail FROM message_events WHERE message_id = ? AND status = 'clicked'",
        [MESSAGE],
    )
    assert [json.loads(d) for (d,) in clicks] == [{"url": target}] * 2
    props = _rows(store, "SELECT properties FROM events WHERE event = 'Message Clicked'")
    assert len(props) == 2 and json.loads(props[0][0])["url"] == target
    assert json.loads(props[0][0])["journey_id"] == "j-cart"

    # Never an open redirect: tampered tokens, other kinds, unsafe schemes are 404 JSON.
    hostile = [
        *tampered(token_of(path))[:-2],
        token_of(got["open"]),
        token_of(tracking.click_url(got, MESSAGE, "javascript:alert(1)")),
        token_of(tracking.click_url(got, MESSAGE, "//evil.example/")),
    ]
    for bad in hostile:
        res = app_client.get(f"/v1/t/click/{bad}", follow_redirects=False)
        assert res.status_code == 404, (bad[:40], res.text)
        assert "location" not in res.headers and res.json()["error"]
    oversized = app_client.get("/v1/t/click/" + "a" * 5000, follow_redirects=False)
    assert oversized.status_code in (400, 404) and "location" not in oversized.headers
    # A valid token of a message that is not in the log (erased, another workspace): 404.
    stray = links(store, workspace, "not-in-the-log")
    res = app_client.get(
        urlsplit(tracking.click_url(stray, "not-in-the-log", target)).path,
        follow_redirects=False,
    )
    assert res.status_code == 404


def test_unsubscribe_page_and_one_click(app_client: TestClient, workspace: Workspace) -> None:
    store = _store(app_client)
    seed(store)
    admin = bearer(workspace.secret_key)
    consent_url = f"/v1/profiles/{PROFILE}/consent"
    assert app_client.get(consent_url, headers=admin).json()["purposes"]["email"]["granted"]
    path = urlsplit(links(store, workspace)["unsubscribe"]).path

    page = app_client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post"' in page.text
    assert "Hủy đăng ký" in page.text and "Unsubscribe" in page.text
    assert _rows(store, "SELECT * FROM suppressions") == []  # a GET changes nothing

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, form-encoded.
    res = app_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert res.status_code == 200 and "You are unsubscribed" in res.text
    assert _rows(store, "SELECT channel, address, reason, profile_id FROM suppressions") == [
        ("email", ADDRESS, "unsubscribed", PROFILE)
    ]
    consent = app_client.get(consent_url, headers=admin).json()["purposes"]["email"]
    assert consent["granted"] is False

    # The page's own button (empty body) after that: still 200, nothing doubled.
    assert app_client.post(path).status_code == 200
    assert len(_rows(store, "SELECT 1 FROM suppressions")) == 1
    assert len(_rows(store, "SELECT 1 FROM message_events WHERE status = 'unsubscribed'")) == 1
    assert len(_rows(store, "SELECT 1 FROM events WHERE event = 'Consent Updated'")) == 1


def test_unsubscribe_refuses_bad_tokens(app_client: TestClient, workspace: Workspace) -> None:
    store = _store(app_client)
    seed(store)
    got = links(store, workspace)
    hostile = [*tampered(token_of(got["unsubscribe"]))[:-2], token_of(got["open"])]
    for bad in hostile:
        for method in ("GET", "POST"):
            res = app_client.request(method, f"/v1/unsubscribe/{bad}")
            assert res.status_code in (400, 404), (method, bad[:40], res.status_code)
            assert res.json()["error"]
    too_long = app_client.post("/v1/unsubscribe/" + "a" * 5000)
    assert too_long.status_code in (400, 404)
    assert _rows(store, "SELECT * FROM suppressions") == []
    assert _rows(store, "SELECT * FROM message_events") == []


def test_unsubscribe_without_an_address_still_withdraws_consent(
    app_client: TestClient, workspace: Workspace
) -> None:
    store = _store(app_client)
    seed(store, "no-address", address=None)
    path = urlsplit(links(store, workspace, "no-address")["unsubscribe"]).path
    assert app_client.post(path).status_code == 200
    assert _rows(store, "SELECT * FROM suppressions") == []  # no empty-address suppression
    consent = app_client.get(
        f"/v1/profiles/{PROFILE}/consent", headers=bearer(workspace.secret_key)
    ).json()["purposes"]["email"]
    assert consent["granted"] is False


def test_routes_need_no_api_key_and_stay_out_of_the_schema(app_client: TestClient) -> None:
    paths = app_client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert not any(p.startswith(("/v1/t/", "/v1/unsubscribe")) for p in paths)


def _age(store: Store, message_id: str, days: float) -> None:
    with store.session() as s, s.transaction():
        s.execute(
            "UPDATE messages SET created_at = ? WHERE message_id = ?",
            [datetime.now(UTC) - timedelta(days=days), message_id],
            step="t",
        )


def test_click_and_open_links_expire_unsubscribe_does_not(
    app_client: TestClient, workspace: Workspace
) -> None:
    store = _store(app_client)
    days = workspace.settings.click_link_days
    assert days == 180  # the documented default
    target = "https://shop.example.vn/p/1"
    for mid, age in (("fresh", days - 1), ("old", days + 1), ("ancient", 3 * 365)):
        seed(store, mid)
        _age(store, mid, age)
        got = links(store, workspace, mid)
        res = app_client.get(urlsplit(tracking.click_url(got, mid, target)).path,
                             follow_redirects=False)  # fmt: skip
        # Expired or not, the person lands where the link said.
        assert res.status_code == 302 and res.headers["location"] == target
        assert app_client.get(urlsplit(got["open"]).path).status_code == 200
        res = app_client.post(urlsplit(got["unsubscribe"]).path)
        assert res.status_code == 200, (mid, res.text)
    recorded = _rows(store, "SELECT message_id, status FROM message_events ORDER BY ALL")
    assert sorted(recorded) == sorted(
        [("fresh", "clicked"), ("fresh", "opened"), ("fresh", "unsubscribed"),
         ("old", "unsubscribed"), ("ancient", "unsubscribed")]
    )  # fmt: skip
    events = _rows(store, "SELECT event FROM events WHERE event IN ('Message Clicked', "
                          "'Email Opened')")  # fmt: skip
    assert sorted(e for (e,) in events) == ["Email Opened", "Message Clicked"]
