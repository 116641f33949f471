"""Helpers for identity tests: send events through the real API and wait for the updater."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import basic, bearer


def send(client: TestClient, write_key: str, events: list[dict[str, Any]]) -> None:
    """POST a batch and wait until the profile updater has resolved it."""
    res = client.post("/v1/batch", json={"batch": events}, headers=basic(write_key))
    assert res.status_code == 200, res.text
    assert client.app.state.ctx.updater.wait_idle(30)  # type: ignore[attr-defined]


def lookup(client: TestClient, secret: str, **params: str) -> dict[str, Any]:
    res = client.get("/v1/profiles/lookup", params=params, headers=bearer(secret))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body
