"""The run file: how a CLI on the same machine reaches the server that holds the workspace.

DuckDB lets only one process open the workspace for writing, so while `unicx serve` runs, the
CLI talks to it over HTTP instead. The server writes its address and a per-process admin token
to ``<workspace>/run/server.json`` (mode 0600): whoever can read the workspace files can read
the data anyway, so this grants nothing new.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunInfo:
    pid: int
    url: str
    token: str


def run_file(run_dir: Path) -> Path:
    return run_dir / "server.json"


def write_run_info(run_dir: Path, info: RunInfo) -> None:
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # a folder made by an older version may be group-readable
    path = run_file(run_dir)
    tmp = path.with_suffix(".tmp")
    # A file or symlink planted at the temporary name is removed, never followed or reused:
    # O_EXCL creates a new file of our own, O_NOFOLLOW refuses a link raced in meanwhile.
    tmp.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(tmp, flags, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(asdict(info), fh)
    os.replace(tmp, path)


def read_run_info(run_dir: Path) -> RunInfo | None:
    try:
        data = json.loads(run_file(run_dir).read_text())
        return RunInfo(pid=int(data["pid"]), url=str(data["url"]), token=str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_run_info(run_dir: Path, *, pid: int) -> None:
    info = read_run_info(run_dir)
    if info is not None and info.pid == pid:
        run_file(run_dir).unlink(missing_ok=True)


def connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
