"""`unicx demo` end to end: build the workspace, stream, serve, stop cleanly on SIGTERM."""

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

from tests.helpers import bearer, free_port
from unicx.demo import generate_events
from unicx.ingest.query import MAX_LIST_LIMIT

T = TypeVar("T")
DEFAULT_SEED = 7  # `unicx demo --seed` default
_SECRET = re.compile(r"secret key\s+(sk_\S+)")


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


def _stored_count(url: str, secret: str) -> int:
    try:
        res = httpx.get(
            f"{url}/v1/events", params={"limit": MAX_LIST_LIMIT}, headers=bearer(secret), timeout=5
        )
    except httpx.TransportError:
        return 0
    return len(res.json()) if res.status_code == 200 else 0


def _demo_segments(url: str, secret: str) -> Callable[[], list[dict[str, Any]] | None]:
    """The segments once all seven templates are saved and the identity pass has filled them."""

    def probe() -> list[dict[str, Any]] | None:
        res = httpx.get(f"{url}/v1/segments", headers=bearer(secret), timeout=10)
        found: list[dict[str, Any]] = res.json()
        return found if len(found) == 7 and sum(s["size"] for s in found) > 0 else None

    return probe


def _demo_journeys(url: str, secret: str) -> Callable[[], dict[str, dict[str, Any]] | None]:
    """The journeys by name once people have entered the live web journey."""

    def probe() -> dict[str, dict[str, Any]] | None:
        res = httpx.get(f"{url}/v1/journeys", headers=bearer(secret), timeout=10)
        found = {j["name"]: j for j in res.json()}
        live = found.get("Giỏ hàng bị bỏ quên (web)")
        return found if live and live["entered"] > 0 else None

    return probe


def _settled(url: str, secret: str, log: Path) -> Callable[[], int | None]:
    """The count once it is non-zero, unchanged since the last look, and the stream is done."""
    last = [-1]

    def probe() -> int | None:
        count = _stored_count(url, secret)
        done = "demo stream sent" in log.read_text()
        stable, last[0] = count == last[0], count
        return count if count and stable and done else None

    return probe


def test_demo_streams_the_generated_events_and_stops_cleanly(tmp_path: Path) -> None:
    expected = sum(1 for _ in generate_events(users=40, seed=DEFAULT_SEED))
    assert expected < MAX_LIST_LIMIT  # one page of GET /v1/events counts them all
    workspace, port, log = tmp_path / "demo", free_port(), tmp_path / "demo.log"
    workspace.mkdir()  # a previous demo run's directory: the marker allows wiping it
    (workspace / ".unicx-demo").write_text("previous run")
    (workspace / "stale.txt").write_text("from the previous run")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _demo(workspace, port, 40), stdout=out, stderr=subprocess.STDOUT, env=_env()
        )
    try:
        secret = _wait_for(
            lambda: (m := _SECRET.search(log.read_text())) and m.group(1),
            timeout=20,
            what="the secret key",
            log=log,
        )
        count = _wait_for(
            _settled(f"http://127.0.0.1:{port}", secret, log),
            timeout=30,
            what="the event count to settle",
            log=log,
        )
        assert count == expected
        assert f"demo stream sent {expected} events from 40 people" in log.read_text()
        assert not (workspace / "stale.txt").exists()
        assert (workspace / ".unicx-demo").exists()
        # The stream then saves the lifecycle templates through the API.
        segments = _wait_for(
            _demo_segments(f"http://127.0.0.1:{port}", secret),
            timeout=60,
            what="the demo segments",
            log=log,
        )
        assert {s["name"] for s in segments} >= {"High-value customers", "One-time buyers"}
        # A live web journey the events entered people into, and an e-mail draft.
        # The journey worker enters people on its own ticks, behind the profile updater.
        journeys = _wait_for(
            _demo_journeys(f"http://127.0.0.1:{port}", secret),
            timeout=120,  # an event the updater never resolves holds entries back 60 s
            what="people to enter the live demo journey",
            log=log,
        )
        assert journeys["Giỏ hàng bị bỏ quên (web)"]["status"] == "published"
        assert journeys["Giỏ hàng bị bỏ quên (email)"]["status"] == "draft"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0, log.read_text()


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
