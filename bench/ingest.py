"""Ingest benchmark: the real `unicx serve` under Segment batch and single-event load.

    .venv/bin/python bench/ingest.py [--events N] [--batch 100] [--single M] [--repeat 3]
                                     [--paced N --rate R] [--quick] [--write-results]
                                     [--profile DIR]

Each run makes a fresh workspace with `unicx init`, starts `unicx serve` (uvicorn, one worker)
as it really runs: the realtime pipeline (identity → traits/consent → segments after each
commit, journeys and delivery) is on. From a second process it posts the batches as fast as the
server answers, then batches paced at a fixed offered rate, then single events; after each of
the first two it waits for the pipeline to catch up and computes its lag (bench/ingest_lag.py).
It stops the server, checks that every acknowledged event is stored, then measures the
in-process baselines on the same events. Figures are the median of the runs. Only loopback.
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
from ingest_cpu import machine_busy, thread_cpu, wait_for_quiet
from ingest_events import batch_bodies, make_events, single_bodies
from ingest_lag import Lag
from ingest_load import LoadResult, run_load, write_bodies
from ingest_report import Figures, as_json, machine, print_table, write_results


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000, help="events sent in batches")
    p.add_argument("--batch", type=int, default=100, help="events per /v1/batch request")
    p.add_argument("--batch-concurrency", type=int, default=8, help="batch requests in flight")
    p.add_argument("--single", type=int, default=20_000, help="events sent one per request")
    p.add_argument("--single-concurrency", type=int, default=64, help="single requests in flight")
    p.add_argument("--paced", type=int, default=25_000, help="events sent in paced batches")
    p.add_argument("--rate", type=int, default=5_000, help="offered events/s of the paced phase")
    p.add_argument("--repeat", type=int, default=3, help="runs; figures are their median")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small scale for make bench-quick (about a minute): 30,000 batch events,\n"
        "10,000 paced, 3,000 single, 1 run (explicit --events/--paced/--single win)",
    )
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
    secret_key: str


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
    deadline = time.monotonic() + 120  # a busy shared machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/v1/me", timeout=1).status_code == 401:
                return Server(proc, url, created["write_key"], created["secret_key"])
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Phase:
    load: LoadResult
    server_main_cpu: float
    server_other_cpu: float
    machine_cpu: float
    started: float = 0.0  # Unix time, for the pipeline's pass log
    events: int = 0
    # Server CPU seconds (all threads) at the start, and once the pipeline caught up after it.
    cpu_start: float = 0.0
    cpu_settled: float = 0.0


def _phase(
    server: Server,
    bodies_path: Path,
    concurrency: int,
    profile: Path | None,
    name: str,
    *,
    rate: float = 0.0,
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
    started = time.time()
    before, busy_before = thread_cpu(pid), machine_busy()
    child = mp.get_context("spawn").Process(
        target=run_load,
        args=(
            server.url,
            {"Authorization": f"Basic {token}"},
            bodies_path,
            concurrency,
            result_path,
            rate,
        ),
    )
    child.start()
    child.join()
    after, busy_after = thread_cpu(pid), machine_busy()
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    if child.exitcode != 0:
        raise RuntimeError(f"load generator exited {child.exitcode}")
    load: LoadResult = pickle.loads(result_path.read_bytes())
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    main_cpu = used.pop(pid, 0.0)
    cpu_start = sum(before.values())
    return Phase(
        load, main_cpu, sum(used.values()), busy_after - busy_before, started, 0, cpu_start
    )


def _stored(workspace: Path) -> int:
    with duckdb.connect(str(workspace / "unicx.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


def _check(phase: Phase, name: str) -> None:
    bad = {s: n for s, n in phase.load.statuses.items() if s != 200}
    if bad or phase.load.errors:
        raise SystemExit(f"{name}: non-200 answers {bad}, errors {phase.load.errors[:3]}")


def _lag(server: Server, phase: Phase, name: str) -> Lag:
    _check(phase, name)
    lag = Lag.measure(server.url, server.secret_key, phase.load.acks, after=phase.started)
    # The pipeline's work deferred past the last ack is this phase's cost too.
    phase.cpu_settled = sum(thread_cpu(server.proc.pid).values())
    return lag


def one_run(
    args: argparse.Namespace, bodies: list[bytes], paths: dict[str, Path], run: int
) -> Figures:
    env = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="unicx-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        server = _start_server(workspace, env)
        try:
            profile = args.profile if run == 0 else None
            batch = _phase(server, paths["batch"], args.batch_concurrency, profile, "batch")
            batch_lag = _lag(server, batch, "batch")
            # The paced rate counts events; the load generator paces requests.
            paced = _phase(
                server,
                paths["paced"],
                args.batch_concurrency,
                None,
                "paced",
                rate=args.rate / args.batch,
            )
            paced.events = args.paced
            paced_lag = _lag(server, paced, "paced")
            single = _phase(server, paths["single"], args.single_concurrency, profile, "single")
        finally:
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(60)
        _check(single, "single")
        stored = _stored(workspace)
    sent = args.events + args.paced + args.single
    if stored != sent:
        raise SystemExit(f"stored {stored} events but {sent} were acknowledged")
    return Figures.build(
        batch,
        single,
        measure(bodies),
        events=args.events,
        stored=stored,
        lags=(batch_lag, paced, paced_lag),
    )


def _quick(args: argparse.Namespace) -> None:
    """--quick: the defaults of the small scale, unless given explicitly."""
    given = set(sys.argv[1:])
    for flag, value in (("--events", 30_000), ("--paced", 10_000), ("--single", 3_000)):
        if flag not in given:
            setattr(args, flag[2:], value)
    if "--repeat" not in given:
        args.repeat = 1


def _write_all(tmp: Path, args: argparse.Namespace, bodies: list[bytes]) -> dict[str, Path]:
    """The three phases' request files: batches, paced batches, single events."""
    events = make_events(args.paced + args.single, seed=args.seed + 1)
    paths = {name: tmp / f"{name}.bin" for name in ("batch", "paced", "single")}
    write_bodies(paths["batch"], [("/v1/batch", b) for b in bodies])
    paced = batch_bodies(events[: args.paced], args.batch)
    write_bodies(paths["paced"], [("/v1/batch", b) for b in paced])
    write_bodies(paths["single"], single_bodies(events[args.paced :]))
    return paths


def main() -> None:
    args = _args()
    if args.quick:
        _quick(args)
    total = args.events + args.paced + args.single
    print(f"generating {total} events (seed {args.seed})", flush=True)
    bodies = batch_bodies(make_events(args.events, seed=args.seed), args.batch)
    runs: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="unicx-bench-bodies-") as tmp:
        paths = _write_all(Path(tmp), args, bodies)
        for run in range(args.repeat):
            if args.quiet_wait > 0:
                wait_for_quiet(args.quiet_wait)
            runs.append(one_run(args, bodies, paths, run))
            print(f"run {run + 1}/{args.repeat}: {runs[-1].one_line()}", flush=True)
    command = " ".join([".venv/bin/python", "bench/ingest.py", *sys.argv[1:]])
    print_table(runs, machine(), command)
    if args.json is not None:
        args.json.write_text(json.dumps({**as_json(runs), "command": command}, indent=2))
    if args.write_results:
        write_results(Path(__file__).with_name("RESULTS.md"), runs, machine(), command)


if __name__ == "__main__":
    main()
