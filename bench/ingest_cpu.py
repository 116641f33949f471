"""CPU accounting from /proc: the server's threads and child processes, and the whole machine
(to expose other people's load on a shared machine)."""

from __future__ import annotations

import os
import time
from pathlib import Path

_CLK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds per thread id of the server and its validation worker processes: the main
    thread runs the event loop, the rest write or validate."""
    out: dict[int, float] = {}
    for proc in [pid, *_children(pid)]:
        for task in Path(f"/proc/{proc}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # a DuckDB worker thread ended between listing and reading
            out[int(task.name)] = (int(fields[11]) + int(fields[12])) / _CLK
    return out


def _children(pid: int) -> list[int]:
    """Child processes (the spawned validation workers and their helpers), recursively."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        for kid in kids:
            found += [kid, *_children(kid)]
    return found


def machine_busy() -> float:
    """CPU seconds all processes have used (from /proc/stat), to expose other people's load."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _CLK


def wait_for_quiet(max_wait: float, *, below: float = 0.25) -> float:
    """Wait until the machine's other load is low; returns the load seen last (cores)."""
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy()
        time.sleep(1.0)
        load = machine_busy() - before
        if load < below or time.monotonic() >= deadline:
            return load
        print(f"  other processes use {load:.2f} cores; waiting", flush=True)
        time.sleep(2.0)
