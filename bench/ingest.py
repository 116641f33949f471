"""Ingest benchmark: the real `unicx serve` under Segment batch and single-event load.

    .venv/bin/python bench/ingest.py [--events N] [--batch 100] [--single M] [--repeat 3]
                                     [--write-results] [--profile DIR]

Each run makes a fresh workspace with `unicx init`, starts `unicx serve` (uvicorn, one worker),
posts the events from a second process, stops the server, checks that every acknowledged
event is stored, then measures the in-process baselines on the same events. Figures are the
median of the runs. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx

from ingest_baseline import measure
from ingest_events import batch_bodies, make_events, single_bodies
from ingest_load import LoadResult, run_load, write_bodies
from ingest_report import Figures, as_json, machine, print_table, write_results

_CLK = os.sysconf("SC_CLK_TCK")


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000, help="events sent in batches")
    p.add_argument("--batch", type=int, default=100, help="events per /v1/batch request")
    p.add_argument("--batch-concurrency", type=int, default=8, help="batch requests in flight")
    p.add_argument("--single", type=int, default=20_000, help="events sent one per request")
    p.add_argument("--single-concurrency", type=int, default=64, help="single requests in flight")
    p.add_argument("--repeat", type=int, default=3, help="runs; figures are their median")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="UNICX_X=V",
        help="server setting for this run, e.g. UNICX_FLUSH_INTERVAL_MS=5",
    )
    p.add_argument("--profile", type=Path, help="py-spy --gil the first run's server into DIR")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        metavar="S",
        help="before each run, wait up to S seconds for other load to drop\n"
        "below 0.25 cores (for a shared machine)",
    )
    p.add_argument("--json", type=Path, help="also write every run's figures as JSON here")
    p.add_argument("--write-results", action="store_true", help="update bench/RESULTS.md")
    return p.parse_args()


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    write_key: str


def _start_server(workspace: Path, env_overrides: dict[str, str]) -> Server:
    init = [sys.executable, "-m", "unicx.cli.main", "init", "--workspace", str(workspace), "--json"]
    created = json.loads(subprocess.run(init, check=True, capture_output=True).stdout)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "unicx.cli.main",
        "serve",
        "--workspace",
        str(workspace),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {**os.environ, "UNICX_LOG_LEVEL": "WARNING", **env_overrides}
    log = (workspace.parent / "server.log").open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/v1/me", timeout=1).status_code == 401:
                return Server(proc, url, created["write_key"])
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start in 30 s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _thread_cpu(pid: int) -> dict[int, float]:
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


def _machine_busy() -> float:
    """CPU seconds all processes have used (from /proc/stat), to expose other people's load."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _CLK


def _wait_for_quiet(max_wait: float, *, below: float = 0.25) -> float:
    """Wait until the machine's other load is low; returns the load seen last (cores)."""
    deadline = time.monotonic() + max_wait
    while True:
        before = _machine_busy()
        time.sleep(1.0)
        load = _machine_busy() - before
        if load < below or time.monotonic() >= deadline:
            return load
        print(f"  other processes use {load:.2f} cores; waiting", flush=True)
        time.sleep(2.0)


@dataclass
class Phase:
    load: LoadResult
    server_main_cpu: float
    server_other_cpu: float
    machine_cpu: float


def _phase(
    server: Server, bodies_path: Path, concurrency: int, profile: Path | None, name: str
) -> Phase:
    import base64

    token = base64.b64encode(f"{server.write_key}:".encode()).decode()
    result_path = bodies_path.with_suffix(".result")
    pid = server.proc.pid
    spy = None
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--threads",
                "--gil",
                "--output",
                str(profile / f"server-{name}-gil.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # py-spy attaches before the load starts
    before, busy_before = _thread_cpu(pid), _machine_busy()
    child = mp.get_context("spawn").Process(
        target=run_load,
        args=(
            server.url,
            {"Authorization": f"Basic {token}"},
            bodies_path,
            concurrency,
            result_path,
        ),
    )
    child.start()
    child.join()
    after, busy_after = _thread_cpu(pid), _machine_busy()
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    if child.exitcode != 0:
        raise RuntimeError(f"load generator exited {child.exitcode}")
    load: LoadResult = pickle.loads(result_path.read_bytes())
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    main_cpu = used.pop(pid, 0.0)
    return Phase(load, main_cpu, sum(used.values()), busy_after - busy_before)


def _stored(workspace: Path) -> int:
    with duckdb.connect(str(workspace / "unicx.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


def _check(phase: Phase, name: str) -> None:
    bad = {s: n for s, n in phase.load.statuses.items() if s != 200}
    if bad or phase.load.errors:
        raise SystemExit(f"{name}: non-200 answers {bad}, errors {phase.load.errors[:3]}")


def one_run(
    args: argparse.Namespace,
    bodies: list[bytes],
    singles_path: Path,
    batch_path: Path,
    n_events: int,
    run: int,
) -> Figures:
    env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="unicx-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        server = _start_server(workspace, env)
        try:
            profile = args.profile if run == 0 else None
            batch = _phase(server, batch_path, args.batch_concurrency, profile, "batch")
            single = _phase(server, singles_path, args.single_concurrency, profile, "single")
        finally:
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(60)
        _check(batch, "batch")
        _check(single, "single")
        stored = _stored(workspace)
    if stored != n_events:
        raise SystemExit(f"stored {stored} events but {n_events} were acknowledged")
    return Figures.build(batch, single, measure(bodies), events=args.events, stored=stored)


def main() -> None:
    args = _args()
    print(f"generating {args.events + args.single} events (seed {args.seed})", flush=True)
    events = make_events(args.events + args.single, seed=args.seed)
    bodies = batch_bodies(events[: args.events], args.batch)
    runs: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="unicx-bench-bodies-") as tmp:
        batch_path, singles_path = Path(tmp) / "batch.bin", Path(tmp) / "single.bin"
        write_bodies(batch_path, [("/v1/batch", b) for b in bodies])
        write_bodies(singles_path, single_bodies(events[args.events :]))
        for run in range(args.repeat):
            if args.quiet_wait > 0:
                _wait_for_quiet(args.quiet_wait)
            runs.append(one_run(args, bodies, singles_path, batch_path, len(events), run))
            print(f"run {run + 1}/{args.repeat}: {runs[-1].one_line()}", flush=True)
    command = " ".join([".venv/bin/python", "bench/ingest.py", *sys.argv[1:]])
    print_table(runs, machine(), command)
    if args.json is not None:
        args.json.write_text(json.dumps({**as_json(runs), "command": command}, indent=2))
    if args.write_results:
        write_results(Path(__file__).with_name("RESULTS.md"), runs, machine(), command)


if __name__ == "__main__":
    main()
