"""A workspace holding the real UCI Online Retail orders, imported by unicx's own importer.

    from uci import uci_workspace   # (bench/ on sys.path: run scripts as bench/<name>.py)
    settings = uci_workspace()      # a ready workspace: orders imported, profiles resolved

The file is ../shared/data/online_retail_uci.csv.gz relative to the repo root (541,909 invoice
lines, 2010-12-01..2011-12-09, GBP; see that folder's README). Lines without a CustomerID are
rejected by the importer (no identifier); cancellations ("C" invoices, negative quantities)
become returned lines. The workspace is cached under bench/.cache/ by the file's sha256, so
benchmarks after the first (about 2 minutes) start at once. ``python bench/uci.py`` builds it.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from unicx.config import Settings, load_settings
from unicx.profiles.imports import run_import
from unicx.workspace import init_workspace, open_store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "online_retail_uci.csv.gz"
CACHE = ROOT / "bench" / ".cache"
# The day after the last invoice: "now" for models trained on this history.
NOW = datetime(2011, 12, 10, tzinfo=UTC)
MAPPING = {
    "order_id": "InvoiceNo",
    "user_id": "CustomerID",
    "timestamp": "InvoiceDate",
    "sku": "StockCode",
    "product_name": "Description",
    "quantity": "Quantity",
    "unit_price": "UnitPrice",
}
READY = ".imported"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def uci_workspace(*, quiet: bool = False) -> Settings:
    """The cached UCI workspace, built on first use (currency GBP, time zone Europe/London)."""
    if not DATA.exists():
        raise SystemExit(f"{DATA} is missing: the UCI file lives in ../shared/data")
    target = CACHE / f"uci-{_sha256(DATA)[:12]}"
    settings = load_settings(workspace=target)
    if (target / READY).exists():
        return settings
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    # Orders in another currency than the workspace's are ignored by traits: the file is GBP.
    (target / "unicx.toml").write_text('currency = "GBP"\ntimezone = "Europe/London"\n')
    settings = load_settings(workspace=target)
    init_workspace(settings)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "online_retail.csv"
        with gzip.open(DATA, "rb") as src, csv_path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        store = open_store(settings)
        try:
            report = run_import(
                store,
                settings,
                kind="orders",
                path=csv_path,
                mapping=MAPPING,
                encoding=None,
                actor="bench",
            )
        finally:
            store.close()
    if not quiet:
        print(
            f"UCI import: {report.total_rows:,} rows, {report.accepted:,} accepted, "
            f"{report.rejected:,} rejected, {report.events_written:,} events "
            f"in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    (target / READY).write_text("done\n")
    return settings


if __name__ == "__main__":
    print(uci_workspace().workspace)
