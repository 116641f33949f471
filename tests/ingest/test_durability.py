"""The ingest promise under crashes: a 200 means the events are on disk, and messageId makes
re-sending harmless.

A `unicx serve` subprocess takes batches of 100 events from several sender threads; the test
kills it (SIGKILL) or stops it (SIGTERM) while requests are in flight, then opens the workspace
again and compares what is stored with what was acknowledged.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic

BATCH_SIZE = 100
# Upper bound on batches per stream: far more than are sent before the signal, so the stream
# is still running when it arrives, yet finite so a broken test cannot send forever.
MAX_BATCHES = 5_000
ACKED_BEFORE_SIGNAL = 25
SENDER_THREADS = 4

pytestmark = pytest.mark.slow


def message_id(batch: int, item: int) -> str:
    return f"dur-{batch:05d}-{item:03d}"


def make_batch(batch: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    events = [
        {
            "type": "track",
            "messageId": message_id(batch, i),
            "userId": f"u-{(batch * BATCH_SIZE + i) % 997}",
            "event": "Product Viewed",
            "properties": {"product_id": f"SKU-{i % 40}", "price": 150_000 + i, "currency": "VND"},
            "context": {"timezone": "Asia/Ho_Chi_Minh", "locale": "vi-VN"},
            "timestamp": now,
        }
        for i in range(BATCH_SIZE)
    ]
    return {"batch": events, "sentAt": now}


def ids_of(batches: set[int]) -> set[str]:
    return {message_id(b, i) for b in batches for i in range(BATCH_SIZE)}


@dataclass
class Stream:
    """Batches posted from several threads until the server stops answering."""

    url: str
    write_key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: set[int] = field(default_factory=set)
    acked: set[int] = field(default_factory=set)
    failures: list[Exception] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    _next: int = 0

    def start(self) -> Stream:
        for n in range(SENDER_THREADS):
            thread = threading.Thread(target=self._run, name=f"sender-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def join(self, timeout: float = 30.0) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a sender thread is stuck"

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def _take(self) -> int | None:
        with self.lock:
            if self._next >= MAX_BATCHES:
                return None
            self._next += 1
            # Counted as sent before the request starts: a batch cut off mid-request may or
            # may not have been stored, and the re-send must cover it either way.
            self.sent.add(self._next - 1)
            return self._next - 1

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=basic(self.write_key), timeout=10) as c:
            while (batch := self._take()) is not None:
                try:
                    res = c.post("/v1/batch", json=make_batch(batch))
                except httpx.TransportError as exc:
                    with self.lock:
                        self.failures.append(exc)
                    return
                if res.status_code != 200 or res.json() != {"success": True}:
                    return  # e.g. 503 while stopping: not acknowledged, so nothing is promised
                with self.lock:
                    self.acked.add(batch)


@dataclass(frozen=True)
class Stored:
    total: int
    distinct: int
    ids: set[str]


def read_stored(workspace: Workspace) -> Stored:
    """What the workspace file holds, read directly (the server must be stopped)."""
    con = duckdb.connect(str(workspace.settings.db_path), read_only=True)
    try:
        row = con.execute("SELECT count(*), count(DISTINCT message_id) FROM events").fetchone()
        ids = {r[0] for r in con.execute("SELECT message_id FROM events").fetchall()}
    finally:
        con.close()
    assert row is not None
    return Stored(total=int(row[0]), distinct=int(row[1]), ids=ids)


def wait_until(check: Callable[[], bool], server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; server log:\n{server.log()}")
        time.sleep(0.005)


@contextmanager
def serving(workspace: Workspace) -> Iterator[ServerProcess]:
    """A server on the workspace that never outlives the test, whatever fails."""
    server = ServerProcess(workspace.path).start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.kill()


def stream_then_signal(workspace: Workspace, sig: int) -> tuple[Stream, int]:
    """Stream batches, deliver `sig` once enough were acked, and return the exit code."""
    with serving(workspace) as server:
        stream = Stream(server.url, workspace.write_key).start()
        wait_until(lambda: stream.acked_count() >= ACKED_BEFORE_SIGNAL, server)
        code = server.stop(sig)
    stream.join()
    assert len(stream.sent) < MAX_BATCHES, "the stream ended before the signal arrived"
    return stream, code


def resend(workspace: Workspace, batches: set[int]) -> None:
    with serving(workspace) as server:
        with httpx.Client(base_url=server.url, headers=basic(workspace.write_key)) as c:
            for batch in sorted(batches):
                res = c.post("/v1/batch", json=make_batch(batch))
                assert res.status_code == 200, res.text
        assert server.stop() == 0


def test_sigkill_mid_stream_loses_no_acked_event(workspace: Workspace) -> None:
    stream, code = stream_then_signal(workspace, signal.SIGKILL)
    assert code == -signal.SIGKILL
    # A refused connection proves nothing; a connection cut while waiting for its answer shows
    # the kill hit requests in flight (some of them possibly committed but never acked).
    assert any(not isinstance(f, httpx.ConnectError) for f in stream.failures), stream.failures

    # Restart on the same workspace (DuckDB replays its WAL), then stop it to read the file.
    with serving(workspace) as server:
        assert server.stop() == 0
    after_crash = read_stored(workspace)
    assert after_crash.total == after_crash.distinct
    assert ids_of(stream.acked) <= after_crash.ids
    assert after_crash.ids <= ids_of(stream.sent)

    # A client that never saw its 200 retries: re-sending everything stores nothing twice.
    resend(workspace, stream.sent)
    final = read_stored(workspace)
    assert final.total == final.distinct == len(stream.sent) * BATCH_SIZE
    assert final.ids == ids_of(stream.sent)


def test_sigterm_mid_stream_exits_0_and_keeps_acked_events(workspace: Workspace) -> None:
    stream, code = stream_then_signal(workspace, signal.SIGTERM)
    assert code == 0
    assert not (workspace.settings.run_dir / "server.json").exists()
    stored = read_stored(workspace)
    assert stored.total == stored.distinct
    assert ids_of(stream.acked) <= stored.ids
    assert stored.ids <= ids_of(stream.sent)
