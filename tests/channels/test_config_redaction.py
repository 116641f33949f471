"""Channel configs as people see them: secrets, provider URLs (their path and query carry
account ids and keys) and body templates are hidden from every role, and a config sent back
as it was shown keeps what is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer
from unicx.channels.config import read_config
from unicx.config import load_settings
from unicx.workspace import open_store

pytestmark = pytest.mark.slow

URL = "https://api.sms-gw.example.vn/v2/ACC-778899/messages?api_key=KEY-IN-QUERY"
TEMPLATE = '{"to": {{ to | tojson }}, "text": {{ text | tojson }}, "token": "TPL-TOKEN-1"}'
SMS = {
    "provider": {
        "url": URL,
        "body_template": TEMPLATE,
        "auth": {"kind": "basic", "username": "shop", "password": "BASIC-PASS-1"},
        "headers": {"X-Api-Key": "HEADER-KEY-1"},
    },
    "receipt_token": "RECEIPT-TOKEN-0123456789",
    "sender": "SHOP",
}
SECRETS = ("ACC-778899", "KEY-IN-QUERY", "TPL-TOKEN-1", "BASIC-PASS-1", "HEADER-KEY-1",
           "RECEIPT-TOKEN")  # fmt: skip


@pytest.fixture
def keys(server: ServerProcess, workspace: Workspace) -> Iterator[dict[str, dict[str, str]]]:
    admin = bearer(workspace.secret_key)
    out = {"admin": admin}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for role in ("analyst", "marketer"):
            r = c.post("/v1/keys", headers=admin, json={"name": role, "role": role})
            assert r.status_code == 201, r.text
            out[role] = bearer(r.json()["secret_key"])
        r = c.put("/v1/channels/sms", headers=admin, json={"config": SMS})
        assert r.status_code == 200, r.text
    yield out


def _get(server: ServerProcess, headers: dict[str, str]) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/v1/channels/sms", headers=headers)
    assert r.status_code == 200, r.text
    config: dict[str, Any] = r.json()["config"]
    return config


def test_every_role_sees_the_config_redacted(
    server: ServerProcess, keys: dict[str, dict[str, str]]
) -> None:
    for role in ("analyst", "marketer", "admin"):
        shown = _get(server, keys[role])
        text = json.dumps(shown)
        assert not [s for s in SECRETS if s in text], (role, text)
        provider = shown["provider"]
        assert provider["url"] == "https://api.sms-gw.example.vn/***"  # the host stays visible
        assert provider["body_template"] == "***" and provider["auth"]["password"] == "***"
        assert provider["auth"]["username"] == "shop" and shown["sender"] == "SHOP"


def test_sending_back_what_was_shown_keeps_the_stored_values(
    server: ServerProcess, workspace: Workspace, keys: dict[str, dict[str, str]]
) -> None:
    shown = _get(server, keys["marketer"])
    shown["sender"] = "SHOP2"  # the one change the marketer meant
    r = httpx.put(f"{server.url}/v1/channels/sms", headers=keys["marketer"],
                  json={"config": shown})  # fmt: skip
    assert r.status_code == 200, r.text
    server.stop()
    store = open_store(load_settings(workspace=workspace.path))
    try:
        with store.session() as s:
            stored = read_config(s, "sms").model_dump(mode="json")
    finally:
        store.close()
    assert stored["sender"] == "SHOP2" and stored["receipt_token"] == SMS["receipt_token"]
    assert {k: stored["provider"][k] for k in SMS["provider"]} == SMS["provider"]


def test_a_new_value_replaces_the_stored_one(
    server: ServerProcess, keys: dict[str, dict[str, str]]
) -> None:
    shown = _get(server, keys["marketer"])
    shown["provider"]["url"] = "https://api.other-gw.example.vn/send"
    r = httpx.put(f"{server.url}/v1/channels/sms", headers=keys["marketer"],
                  json={"config": shown})  # fmt: skip
    assert r.status_code == 200, r.text
    assert _get(server, keys["analyst"])["provider"]["url"] == "https://api.other-gw.example.vn/***"
