"""The group-commit writer on a real DuckDB file: races, shutdown, back-pressure."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unicx.assembly import migrate_workspace
from unicx.config import load_settings
from unicx.errors import ShuttingDownError
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import EventRow
from unicx.ingest.validate import decode_single
from unicx.ingest.writer import EventWriter, OverloadedError
from unicx.store import Store


def _row(message_id: str, limits: Limits) -> EventRow:
    body = f'{{"userId": "u", "event": "E", "messageId": "{message_id}"}}'.encode()
    info = RequestInfo("src_1", datetime.now(UTC), "127.0.0.1")
    row, _ = decode_single(body, type_="track", info=info, limits=limits)
    return row


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "w.duckdb")
    migrate_workspace(s)
    return s


def _count(store: Store) -> tuple[int, int]:
    with store.session() as s:
        row = s.fetchone("SELECT count(*), count(DISTINCT message_id) FROM events", step="t")
    assert row is not None
    return int(row[0]), int(row[1])


def test_racing_writers_store_each_message_once(store: Store, tmp_path: Path) -> None:
    limits = Limits.from_settings(load_settings(workspace=tmp_path))
    writer = EventWriter(store, flush_interval_s=0.0, threads=3)
    writer.start()
    futures: list[Future[int]] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        # Overlapping windows of ids: every id is sent by several clients at once.
        for start in range(0, 400, 20):
            rows = [_row(f"m{(start + offset + i) % 400}", limits) for i in range(20)]
            fut = writer.submit(rows)
            with lock:
                futures.append(fut)

    threads = [threading.Thread(target=client, args=(k * 7,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = sum(f.result(timeout=30) for f in futures)
    writer.stop()
    assert _count(store) == (400, 400)
    assert stored == 400  # futures report rows newly stored, so retries count zero
    assert writer.stats.events_written == 400


def test_stop_flushes_what_was_accepted_then_refuses(store: Store, tmp_path: Path) -> None:
    limits = Limits.from_settings(load_settings(workspace=tmp_path))
    writer = EventWriter(store, flush_interval_s=0.05, threads=2)
    writer.start()
    futures = [writer.submit([_row(f"s{i}", limits)]) for i in range(50)]
    writer.stop()
    assert all(f.result(timeout=5) == 1 for f in futures)
    assert _count(store) == (50, 50)
    with pytest.raises(ShuttingDownError):
        writer.submit([_row("late", limits)])


def test_full_queue_answers_overloaded(store: Store, tmp_path: Path) -> None:
    limits = Limits.from_settings(load_settings(workspace=tmp_path))
    writer = EventWriter(store, queue_max=1000)  # not started: nothing drains the queue
    writer.submit([_row(f"q{i}", limits) for i in range(1000)])
    with pytest.raises(OverloadedError):
        writer.submit([_row("one-more", limits)])


def test_an_unexpected_flush_error_fails_its_requests_not_the_writer(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import unicx.ingest.writer as writer_module

    limits = Limits.from_settings(load_settings(workspace=tmp_path))
    real = writer_module.rows_to_arrow
    calls = {"n": 0}

    def flaky(rows: list[EventRow]) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug in the flush")
        return real(rows)

    monkeypatch.setattr(writer_module, "rows_to_arrow", flaky)
    writer = EventWriter(store)
    writer.start()
    with pytest.raises(RuntimeError, match="bug in the flush"):
        writer.submit([_row("b1", limits)]).result(timeout=5)
    assert writer.submit([_row("b2", limits)]).result(timeout=5) == 1
    writer.stop()
    assert _count(store) == (1, 1)
