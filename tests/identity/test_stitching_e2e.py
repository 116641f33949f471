"""Multi-device stitching end to end: a real `unicx serve` process, plain HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer

pytestmark = pytest.mark.slow


def _lookup_until(
    http: httpx.Client, secret: str, want_ids: set[tuple[str, str]], **params: str
) -> dict[str, Any]:
    """Profiles are resolved just after the ack (by the updater thread): poll briefly."""
    deadline = time.monotonic() + 15
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        res = http.get("/v1/profiles/lookup", params=params, headers=bearer(secret))
        if res.status_code == 200:
            body = res.json()
            have = {(i["id_type"], i["id_value"]) for i in body["identifiers"]}
            if want_ids <= have:
                return body
        time.sleep(0.1)
    raise AssertionError(f"lookup {params} never showed {want_ids}: {body}")


def test_web_then_app_then_lookup_by_any_identifier(
    server: ServerProcess, workspace: Workspace
) -> None:
    wk = basic(workspace.write_key)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        # Anonymous web visit, then login on the web, then the mobile app with the same e-mail.
        for path, body in [
            ("/v1/page", {"anonymousId": "web-1", "name": "Home", "properties": {"path": "/"}}),
            (
                "/v1/track",
                {"anonymousId": "web-1", "event": "Product Viewed", "properties": {"sku": "SKU-1"}},
            ),
            (
                "/v1/identify",
                {
                    "anonymousId": "web-1",
                    "userId": "cus-42",
                    "traits": {"email": "Lan.Nguyen@Example.vn", "first_name": "Lan"},
                },
            ),
            (
                "/v1/screen",
                {
                    "anonymousId": "app-9",
                    "name": "Home",
                    "context": {"device": {"id": "ios-device-7"}},
                },
            ),
            (
                "/v1/identify",
                {
                    "anonymousId": "app-9",
                    "traits": {"email": " lan.nguyen@example.vn", "phone": "0912345678"},
                },
            ),
            (
                "/v1/track",
                {
                    "anonymousId": "app-9",
                    "event": "Order Completed",
                    "properties": {"order_id": "o-1", "revenue": 250000, "currency": "VND"},
                },
            ),
        ]:
            res = http.post(path, json=body, headers=wk)
            assert res.status_code == 200, res.text
        everything = {
            ("anonymous_id", "web-1"),
            ("anonymous_id", "app-9"),
            ("user_id", "cus-42"),
            ("email", "lan.nguyen@example.vn"),
            ("phone", "+84912345678"),
            ("device_id", "ios-device-7"),
        }
        by_anon = _lookup_until(http, workspace.secret_key, everything, anonymous_id="web-1")
        pid = by_anon["profile_id"]
        for params in (
            {"anonymous_id": "app-9"},
            {"user_id": "cus-42"},
            {"email": "LAN.NGUYEN@example.vn"},
            {"phone": "+84 912 345 678"},
            {"device_id": "ios-device-7"},
        ):
            assert (
                _lookup_until(http, workspace.secret_key, everything, **params)["profile_id"] == pid
            )
        # One timeline of every event from both devices, paged.
        h = bearer(workspace.secret_key)
        first = http.get(f"/v1/profiles/{pid}/events", params={"limit": 4}, headers=h).json()
        assert len(first["events"]) == 4 and first["next_cursor"]
        rest = http.get(
            f"/v1/profiles/{pid}/events",
            params={"limit": 4, "before": first["next_cursor"]},
            headers=h,
        ).json()
        assert rest["next_cursor"] is None
        names = [
            e.get("event") or e.get("name") or e["type"] for e in first["events"] + rest["events"]
        ]
        assert len(names) == 6
        assert {"Home", "Product Viewed", "Order Completed"} <= set(names)
        stamps = [e["timestamp"] for e in first["events"] + rest["events"]]
        assert stamps == sorted(stamps, reverse=True)
