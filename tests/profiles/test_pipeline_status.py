"""The realtime pipeline reports its lag (GET /v1/pipeline), against a real server: once it
reports no backlog, an acknowledged event is in the profile and its segments; the pass log
filters by time; only keys that may read profiles see it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually

pytestmark = pytest.mark.slow
HAS_EMAIL = {"has": "email"}


def _status(server: ServerProcess, secret: str, **params: Any) -> dict[str, Any]:
    res = httpx.get(f"{server.url}/v1/pipeline", params=params, headers=bearer(secret))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def _identify(server: ServerProcess, workspace: Workspace, user: str) -> None:
    """Ingest one identify (acknowledged: committed)."""
    body = {"userId": user, "traits": {"email": f"{user}@example.vn"}}
    res = httpx.post(f"{server.url}/v1/identify", json=body, headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text


def test_no_backlog_means_the_acked_event_is_in_profile_and_segments(
    server: ServerProcess, workspace: Workspace
) -> None:
    secret = workspace.secret_key
    segment = {"name": "Has e-mail", "definition": HAS_EMAIL}
    created = httpx.post(f"{server.url}/v1/segments", json=segment, headers=bearer(secret))
    assert created.status_code == 201, created.text
    sent = time.time()
    _identify(server, workspace, "lag-1")

    def caught_up() -> bool:
        status = _status(server, secret, after=sent)
        return status["backlog_since"] is None and not status["busy"] and bool(status["recent"])

    eventually(caught_up, "a pass after the request, and no backlog")
    status = _status(server, secret, after=sent)
    first = status["recent"][0]
    assert first["started"] > sent and first["finished"] >= first["started"]
    assert status["lag_s"] == 0.0 and status["running"] and status["passes"] >= 1
    # What the status promises holds: no waiting once it reports no backlog.
    found = httpx.get(
        f"{server.url}/v1/profiles/lookup", params={"user_id": "lag-1"}, headers=bearer(secret)
    )
    assert found.status_code == 200, found.text
    members = httpx.get(
        f"{server.url}/v1/segments/{created.json()['segment_id']}/members", headers=bearer(secret)
    )
    assert members.status_code == 200, members.text
    assert found.json()["profile_id"] in members.text


def test_after_filters_the_passes(server: ServerProcess, workspace: Workspace) -> None:
    secret = workspace.secret_key
    _identify(server, workspace, "lag-2")
    eventually(lambda: _status(server, secret)["backlog_since"] is None, "caught up")
    everything = _status(server, secret)["recent"]
    assert everything and _status(server, secret, after=time.time())["recent"] == []
    assert _status(server, secret, limit=0)["recent"] == []
    bad = httpx.get(f"{server.url}/v1/pipeline", params={"limit": -1}, headers=bearer(secret))
    assert bad.status_code == 400


def test_write_key_and_no_key_cannot_read_it(server: ServerProcess, workspace: Workspace) -> None:
    assert httpx.get(f"{server.url}/v1/pipeline").status_code == 401
    with_write_key = httpx.get(f"{server.url}/v1/pipeline", headers=basic(workspace.write_key))
    assert with_write_key.status_code in (401, 403)
