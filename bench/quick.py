"""`make bench-quick`: every headline benchmark at reduced scale, in under 10 minutes.

    .venv/bin/python bench/quick.py [--only ingest,identity] [--list]

Runs ingest, identity (FEBRL4, Vietnamese duplicates, namesakes), segments, recommendations
(offline, the product's tuned defaults) and journeys one after another, each as its own
process with the arguments below, and keeps each one's full output in bench/out/quick/. Each
benchmark measures its own baseline in the same run (ingest: the in-process writer; identity:
exact name + birth date; segments: hand-written SQL; recommendations: plain ALS and
popularity; journeys: one-step-at-a-time scheduling and plain smtplib), so the lines printed
here are figure-and-baseline pairs from this run, not from an older one. The figures are
smaller-scale versions of the ones in bench/RESULTS.md: use them to see a change's direction
(run before and after on the same machine), and the full commands for the published figures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "quick"


@dataclass(frozen=True)
class Bench:
    name: str
    argv: tuple[str, ...]
    keep: str  # lines of the output worth repeating in the summary (a regex)
    budget_s: int  # what it takes on a quiet 2-core machine, with room; killed past 3x


BENCHES = (
    Bench("ingest", ("bench/ingest.py", "--quick"), r"events/s|p99|lag|ratio|per event", 90),
    Bench(
        "identity",
        (
            "bench/identity.py",
            "--febrl",
            "4",
            "--vn-people",
            "1000",
            "--vn-duplicates",
            "300",
            "--ns-people",
            "3000",
        ),
        r"^\| (?!---)|false merges|ratio vs baseline",
        150,
    ),
    Bench(
        "segments",
        ("bench/segments.py", "--people", "10000", "--repeat", "1"),
        r"evaluation:|full refresh|segments step",
        120,
    ),
    Bench("recommend", ("bench/recommend.py", "--quick"), r"^blend vs|^\w+ +ndcg@10", 120),
    Bench(
        "journeys",
        (
            "bench/journeys.py",
            "--people",
            "1000",
            "--baseline-people",
            "100",
            "--emails",
            "500",
            "--baseline-emails",
            "100",
            "--window",
            "5",
            "--repeat",
            "1",
        ),
        r"^\| (?!---)|lag by",
        120,
    ),
)


def run(bench: Bench) -> tuple[int, float, list[str]]:
    """Run one benchmark; its whole output goes to a log, the headline lines come back."""
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"{bench.name}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        try:
            proc = subprocess.run(
                [sys.executable, *bench.argv],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=bench.budget_s * 3,
                check=False,
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = -1
    took = time.perf_counter() - started
    pattern = re.compile(bench.keep)
    lines = [line.rstrip() for line in log.read_text().splitlines() if pattern.search(line)]
    return code, took, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated names: " + ",".join(b.name for b in BENCHES))
    ap.add_argument("--list", action="store_true", help="print the commands and stop")
    args = ap.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    if args.list:
        for b in chosen:
            print(f"{b.name}: .venv/bin/python {' '.join(b.argv)}")
        return 0
    summary: list[tuple[str, int, float]] = []
    for bench in chosen:
        print(f"\n## {bench.name}: .venv/bin/python {' '.join(bench.argv)}", flush=True)
        code, took, lines = run(bench)
        print("\n".join(lines) or "(no headline lines; see the log)", flush=True)
        summary.append((bench.name, code, took))
    print("\n| benchmark | exit | seconds | full output |\n| --- | ---: | ---: | --- |")
    for name, code, took in summary:
        print(f"| {name} | {code} | {took:.0f} | bench/out/quick/{name}.log |")
    print(f"total: {sum(t for _, _, t in summary):.0f} s")
    return max((abs(code) for _, code, _ in summary), default=0)


if __name__ == "__main__":
    sys.exit(main())
