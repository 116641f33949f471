"""Import benchmark: a generated orders CSV of N rows through `run_import` into a fresh workspace.

    .venv/bin/python bench/imports.py [--rows 1000000] [--customers 100000] [--again]

Rows are order lines (about 3 per order) of customers known by email (60 %) or phone (40 %),
Vietnamese timestamps, ~1 % returns. The figure is rows per second of the whole import (read,
validate, build events, one transaction), identity resolution afterwards timed apart; peak
memory (max RSS) shows the chunked reading holds. ``--again`` imports the same file a second
time (idempotence: nothing new is written).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from unicx.config import load_settings
from unicx.profiles.imports import run_import
from unicx.workspace import init_workspace, open_store

CATEGORIES = ("giay-dep", "thoi-trang", "dien-thoai", "my-pham", "gia-dung", "sach")


def generate(path: Path, rows: int, customers: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        f.write("Ma don,Email,SDT,Ngay,Ma SP,Ten SP,Nhom,SL,Don gia,Tien te\n")
        written = order = 0
        while written < rows:
            order += 1
            person = rng.randrange(customers)
            email = f"khach{person}@example.vn" if person % 5 < 3 else ""
            phone = "" if email else f"09{person:08d}"
            day, hour = rng.randrange(1, 29), rng.randrange(24)
            when = f"{day:02d}/{rng.randrange(1, 13):02d}/2024 {hour:02d}:{rng.randrange(60):02d}"
            for line in range(min(rng.randint(1, 5), rows - written)):
                sku = rng.randrange(5000)
                qty = -1 if rng.random() < 0.01 else rng.randint(1, 3)
                f.write(
                    f"DH{order},{email},{phone},{when},SP{sku}-{line},Sản phẩm {sku},"
                    f"{CATEGORIES[sku % len(CATEGORIES)]},{qty},{(sku % 50 + 1) * 10000},VND\n"
                )
                written += 1


MAPPING = {
    "order_id": "Ma don",
    "email": "Email",
    "phone": "SDT",
    "timestamp": "Ngay",
    "sku": "Ma SP",
    "product_name": "Ten SP",
    "category": "Nhom",
    "quantity": "SL",
    "unit_price": "Don gia",
    "currency": "Tien te",
}


class _Timed:
    seconds = 0.0


def _time_resolution() -> type[_Timed]:
    """Time the identity resolution that follows the commit apart from the import itself."""
    from unicx.profiles import pipeline

    inner = pipeline.update_profiles

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _Timed.seconds += time.perf_counter() - started

    pipeline.update_profiles = timed
    return _Timed


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--verbose", action="store_true", help="print memory as chunks go")
    p.add_argument("--again", action="store_true", help="import the same file a second time")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "orders.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows, args.customers, args.seed)
        size_mb = csv_path.stat().st_size / 1e6
        took = time.perf_counter() - started
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {took:.1f} s")
        settings = load_settings(workspace=Path(tmp) / "ws")
        init_workspace(settings)
        store = open_store(settings)
        resolve = _time_resolution()
        try:
            for attempt in range(2 if args.again else 1):
                resolve.seconds = 0.0
                started = time.perf_counter()
                report = run_import(
                    store,
                    settings,
                    kind="orders",
                    path=csv_path,
                    mapping=MAPPING,
                    encoding=None,
                    actor="bench",
                    progress=lambda done, _: (
                        print(f"  {done:,} rows, max RSS {_rss_mb():,.0f} MB")
                        if args.verbose and done % 100_000 == 0
                        else None
                    ),
                )
                elapsed = time.perf_counter() - started - resolve.seconds
                print(
                    f"import {attempt + 1}: {report.total_rows:,} rows in {elapsed:.1f} s "
                    f"(+ {resolve.seconds:.1f} s identity resolution) = "
                    f"{report.total_rows / elapsed:,.0f} rows/s; accepted {report.accepted:,}, "
                    f"rejected {report.rejected:,}, duplicates {report.duplicates:,}, "
                    f"written {report.events_written:,}, already there {report.already_imported:,}"
                )
        finally:
            store.close()
    print(f"peak memory (max RSS) {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
