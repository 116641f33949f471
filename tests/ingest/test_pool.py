"""Batch validation in worker processes: same answers as in-process, survives a dead worker."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer
from unicx.api.context import AppContext
from unicx.ingest.pool import MIN_POOLED_BYTES


def _big_batch(prefix: str, *, bad: frozenset[int] = frozenset()) -> dict[str, object]:
    items = []
    for i in range(60):
        item: dict[str, object] = {
            "type": "track",
            "userId": f"u{i}",
            "event": "Product Viewed",
            "messageId": f"{prefix}-{i}",
            "properties": {"name": "Áo dài lụa " * 10, "price": 350000},
        }
        if i in bad:
            del item["event"]
        items.append(item)
    return {"batch": items}


def _ctx(client: TestClient) -> AppContext:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def _count(client: TestClient, workspace: Workspace) -> int:
    return len(client.get("/v1/events?limit=1000", headers=bearer(workspace.secret_key)).json())


def test_large_batches_go_through_the_pool_with_the_same_answers(
    client: TestClient, workspace: Workspace
) -> None:
    assert _ctx(client).pool is not None
    body = _big_batch("p", bad=frozenset({3, 7}))
    assert len(json.dumps(body).encode()) > MIN_POOLED_BYTES
    res = client.post("/v1/batch", json=body, headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text
    assert res.json()["rejected"] == [3, 7]
    assert res.json()["issues"][0]["field"] == "batch[3].event"
    assert _count(client, workspace) == 58
    # Retrying the same batch stores nothing twice.
    client.post("/v1/batch", json=body, headers=basic(workspace.write_key))
    assert _count(client, workspace) == 58
    bad = b'{"batch": [' + b" " * MIN_POOLED_BYTES + b"{]}"
    res = client.post("/v1/batch", content=bad, headers=basic(workspace.write_key))
    assert res.status_code == 400 and res.json()["issues"][0]["rule"] == "json"
    events = client.get("/v1/events?limit=1", headers=bearer(workspace.secret_key)).json()
    assert events[0]["properties"]["name"].startswith("Áo dài lụa")


def test_a_killed_worker_costs_no_request(client: TestClient, workspace: Workspace) -> None:
    pool = _ctx(client).pool
    assert pool is not None
    old_executor = pool._executor
    for pid in list(pool._executor._processes):  # the pool's own worker processes
        os.kill(pid, signal.SIGKILL)
    res = client.post("/v1/batch", json=_big_batch("k"), headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text
    assert pool._executor is not old_executor  # the dead pool was replaced
    res = client.post("/v1/batch", json=_big_batch("k2"), headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text
    assert _count(client, workspace) == 120


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def test_workers_leave_when_the_server_is_killed(workspace: Workspace) -> None:
    server = ServerProcess(workspace.path).start()
    assert server.proc is not None
    workers = _children(server.proc.pid)
    assert workers, "the server runs at least one validation worker"
    server.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()]
    for w in alive:  # do not leak them into the rest of the run, then fail
        os.kill(w, signal.SIGKILL)
    assert not alive
