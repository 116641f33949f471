"""`unicx demo` end to end: build the workspace, stream, serve, e-mail, stop cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.helpers import bearer, free_port
from unicx.demo import generate_events
from unicx.demo.inbox import list_messages
from unicx.ingest.query import MAX_LIST_LIMIT

T = TypeVar("T")
DEFAULT_SEED = 7  # `unicx demo --seed` default
USERS = 15  # history and live events together stay within one page of GET /v1/events
_SECRET = re.compile(r"secret key\s+(sk_\S+)")
_LOGIN = re.compile(r"dashboard\s+(http://127\.0\.0\.1:\d+/)\s+login (\S+@\S+) / (\S+)")


def _demo(workspace: Path, port: int, users: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "unicx.cli.main",
        "demo",
        "--workspace",
        str(workspace),
        "--port",
        str(port),
        "--users",
        str(users),
        "--nudge-after",
        "1s",
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "UNICX_LOG_LEVEL": "WARNING"}


def _wait_for(probe: Callable[[], T | None], *, timeout: float, what: str, log: Path) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; demo output:\n{log.read_text()}")


def _journeys(url: str, secret: str) -> Callable[[], dict[str, dict[str, Any]] | None]:
    """The journeys by name once both cart journeys are published."""

    def probe() -> dict[str, dict[str, Any]] | None:
        res = httpx.get(f"{url}/v1/journeys", headers=bearer(secret), timeout=10)
        found = {j["name"]: j for j in res.json()}
        published = len(found) == 2 and all(j["status"] == "published" for j in found.values())
        return found if published else None

    return probe


def _emails(workspace: Path) -> Callable[[], int | None]:
    def probe() -> int | None:
        return list_messages(workspace).total or None

    return probe


@pytest.mark.slow
def test_demo_builds_serves_and_emails_abandoned_carts(tmp_path: Path) -> None:
    expected = {e["messageId"] for e in generate_events(users=USERS, seed=DEFAULT_SEED)}
    workspace, port, log = tmp_path / "demo", free_port(), tmp_path / "demo.log"
    url = f"http://127.0.0.1:{port}"
    workspace.mkdir()  # a previous demo run's directory: the marker allows wiping it
    (workspace / ".unicx-demo").write_text("previous run")
    (workspace / "stale.txt").write_text("from the previous run")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _demo(workspace, port, USERS), stdout=out, stderr=subprocess.STDOUT, env=_env()
        )
    try:
        secret = _wait_for(
            lambda: (m := _SECRET.search(log.read_text())) and m.group(1),
            timeout=30,
            what="the secret key",
            log=log,
        )
        login = _LOGIN.search(log.read_text())
        assert login is not None, log.read_text()
        assert login.group(1) == f"{url}/" and login.group(2) == "admin@localhost"
        assert len(login.group(3)) >= 12
        assert "smtp sink   127.0.0.1:" in log.read_text()
        assert not (workspace / "stale.txt").exists()
        assert (workspace / ".unicx-demo").exists()
        journeys = _wait_for(_journeys(url, secret), timeout=180, what="the journeys", log=log)
        assert set(journeys) == {"Giỏ hàng bị bỏ quên (email)", "Giỏ hàng bị bỏ quên (web)"}
        assert f"demo stream sent {len(expected)} events from {USERS} people" in log.read_text()
        assert "demo ready in" in log.read_text()
        segments = httpx.get(f"{url}/v1/segments", headers=bearer(secret), timeout=10).json()
        assert {"High-value customers", "One-time buyers"} <= {s["name"] for s in segments}
        stored = httpx.get(
            f"{url}/v1/events", params={"limit": MAX_LIST_LIMIT}, headers=bearer(secret)
        ).json()
        assert expected <= {e["messageId"] for e in stored}
        # Live shoppers leave carts; a second later the e-mail journey writes to them, through
        # the demo's SMTP sink, into the demo inbox.
        _wait_for(_emails(workspace), timeout=180, what="an e-mail in the demo inbox", log=log)
        (mail,) = list_messages(workspace, limit=1).messages
        assert "giỏ hàng vẫn đang chờ" in mail.subject
        assert mail.from_.endswith("<xin-chao@choxinh.example>")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0, log.read_text()


@pytest.mark.slow  # a CLI process
def test_demo_refuses_to_wipe_a_directory_it_did_not_create(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = subprocess.run(
        _demo(precious, free_port(), 5), capture_output=True, env=_env(), timeout=60, check=False
    )
    assert result.returncode == 1
    assert "not a demo workspace" in result.stderr.decode()
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]
    assert (precious / "notes.txt").read_text() == "keep me"
