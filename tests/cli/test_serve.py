"""`unicx serve` as an operator runs it: stop with SIGTERM, and use the CLI meanwhile.

While the server holds the workspace, DuckDB refuses a second process, so the CLI notices the
lock and talks to the server named in <workspace>/run/server.json. Every command here runs as
a real subprocess, the way a shell or a cron job would run it.
"""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer

pytestmark = pytest.mark.slow


def unicx(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unicx.cli.main", *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def unicx_json(workspace: Path, *args: str) -> Any:
    result = unicx(workspace, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_file(workspace: Workspace) -> Path:
    return workspace.settings.run_dir / "server.json"


def test_sigterm_exits_0_and_removes_run_file(server: ServerProcess, workspace: Workspace) -> None:
    info = json.loads(run_file(workspace).read_text())
    assert server.proc is not None
    assert (info["pid"], info["url"]) == (server.proc.pid, server.url)
    # It holds a token with admin rights: only the owner may read it.
    assert stat.S_IMODE(run_file(workspace).stat().st_mode) == 0o600
    assert server.stop(signal.SIGTERM) == 0
    assert not run_file(workspace).exists()


def test_cli_works_through_the_running_server(server: ServerProcess, workspace: Workspace) -> None:
    (source,) = unicx_json(workspace.path, "sources", "list")
    assert source["name"] == "default"
    assert [k["write_key"] for k in source["write_keys"]] == [workspace.write_key]

    # A change made by the CLI is made by the server: its API sees it at once.
    (added,) = unicx_json(workspace.path, "sources", "add", "Ứng dụng di động")
    listed = httpx.get(f"{server.url}/v1/sources", headers=bearer(workspace.secret_key)).json()
    assert {s["name"] for s in listed} == {"default", "Ứng dụng di động"}
    assert added["source_id"] in {s["source_id"] for s in listed}


def test_events_tail_prints_the_newest_events_oldest_first(
    server: ServerProcess, workspace: Workspace
) -> None:
    with httpx.Client(base_url=server.url, headers=basic(workspace.write_key)) as c:
        for n in range(1, 8):
            body = {
                "userId": "u-lan",
                "event": "Đặt hàng" if n % 2 else "Xem sản phẩm",
                "messageId": f"tail-{n}",
                "properties": {"revenue": n * 100_000, "currency": "VND"},
            }
            assert c.post("/v1/track", json=body).status_code == 200
    result = unicx(workspace.path, "events", "tail", "-n", "5", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["messageId"] for e in events] == [f"tail-{n}" for n in range(3, 8)]
    assert [e["event"] for e in events] == ["Đặt hàng", "Xem sản phẩm"] * 2 + ["Đặt hàng"]
    assert events[-1]["properties"] == {"revenue": 700_000, "currency": "VND"}


def test_stale_run_file_after_a_crash_does_not_mislead_the_cli(
    server: ServerProcess, workspace: Workspace
) -> None:
    server.kill()  # SIGKILL: no chance to remove the run file
    assert run_file(workspace).exists()
    # The lock died with the process, so the CLI opens the file itself instead of calling a
    # server that is gone.
    (source,) = unicx_json(workspace.path, "sources", "list")
    assert source["name"] == "default"
