"""GET /v1/events pages past 1,000 events with an opaque cursor (real server, real CLI)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer

pytestmark = pytest.mark.slow
TOTAL = 2_500


def _send(server: ServerProcess, workspace: Workspace, first: int, count: int) -> None:
    with httpx.Client(base_url=server.url, headers=basic(workspace.write_key)) as c:
        for start in range(first, first + count, 250):
            batch = [
                {"type": "track", "event": "Xem trang", "userId": f"u-{n % 40}",
                 "messageId": f"page-{n:05d}"}
                for n in range(start, min(start + 250, first + count))
            ]  # fmt: skip
            assert c.post("/v1/batch", json={"batch": batch}).status_code == 200


def _read_all(client: httpx.Client, *, during: object = None) -> tuple[list[str], int]:
    """Every page of GET /v1/events?limit=1000; ``during`` runs after the first page."""
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        res = client.get("/v1/events", params=params)
        assert res.status_code == 200, res.text
        seen += [e["messageId"] for e in res.json()]
        pages += 1
        if pages == 1 and callable(during):
            during()
        cursor = res.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in res.headers
            return seen, pages
        assert res.headers["Link"].endswith('rel="next"') and cursor in res.headers["Link"]


def test_paging_returns_every_event_exactly_once(
    server: ServerProcess, workspace: Workspace
) -> None:
    _send(server, workspace, 0, TOTAL)
    with httpx.Client(base_url=server.url, headers=bearer(workspace.secret_key)) as c:
        # Events arriving while a reader pages are newer than its cursor: they never shift
        # the pages still to read (they appear on the next read from the top).
        seen, pages = _read_all(c, during=lambda: _send(server, workspace, TOTAL, 300))
        assert pages == 3
        assert len(seen) == TOTAL and len(set(seen)) == TOTAL
        assert set(seen) >= {f"page-{n:05d}" for n in range(TOTAL - 1000)}
        everything, _ = _read_all(c)
    assert sorted(everything) == [f"page-{n:05d}" for n in range(TOTAL + 300)]


BAD_CURSORS = {
    "garbage": "%%%not-base64%%%",
    "not-utf8": base64.urlsafe_b64encode(b"\xff\xfe~1").decode(),
    "no-key": base64.urlsafe_b64encode(b"2026-12-07T10:00:00+00:00").decode(),
    "no-timezone": base64.urlsafe_b64encode(b"2026-12-07T10:00:00~12").decode(),
    "key-too-big": base64.urlsafe_b64encode(
        f"2026-12-07T10:00:00+00:00~{1 << 128}".encode()
    ).decode(),
    "negative-key": base64.urlsafe_b64encode(b"2026-12-07T10:00:00+00:00~-1").decode(),
    "too-long": "A" * 400,
    "empty": "",
}


def test_a_bad_cursor_is_a_400_naming_cursor(server: ServerProcess, workspace: Workspace) -> None:
    _send(server, workspace, 0, 3)
    for name, cursor in BAD_CURSORS.items():
        res = httpx.get(
            f"{server.url}/v1/events",
            params={"cursor": cursor},
            headers=bearer(workspace.secret_key),
        )
        assert res.status_code == 400, (name, res.text)
        assert [i["field"] for i in res.json()["issues"]] in (["cursor"], ["query.cursor"]), name


def test_events_tail_pages_past_one_thousand(server: ServerProcess, workspace: Workspace) -> None:
    _send(server, workspace, 0, 1_500)
    result = subprocess.run(
        [sys.executable, "-m", "unicx.cli.main", "events", "tail", "-n", "1200", "--json",
         "--workspace", str(workspace.path)],
        capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ids = [json.loads(line)["messageId"] for line in result.stdout.splitlines()]
    # The newest 1,200: the last four batches whole, 200 of the one before (one batch shares
    # one receivedAt, ordered by event key inside it).
    assert len(ids) == len(set(ids)) == 1_200
    assert {f"page-{n:05d}" for n in range(500, 1_500)} <= set(ids)
    assert min(ids) >= "page-00250"
