"""Files for the import tests, written on the fly (small, so every test stays fast)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import Workspace
from unicx.profiles.imports import ImportReport, run_import
from unicx.store import Store

# Windows-1258 has precomposed vowels with their shape marks (â, ơ, ư …) but writes the five
# tones as combining marks after the letter, the way Vietnamese Windows software saves text.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


ORDERS_HEADER = [
    "order_id",
    "email",
    "phone",
    "timestamp",
    "sku",
    "category",
    "quantity",
    "unit_price",
]
ORDERS = [
    ["DH1", "An@Example.vn", "", "2024-05-01 10:00", "SKU1", "giay", "2", "150000"],
    ["DH1", "an@example.vn", "", "2024-05-01 10:00", "SKU2", "mu", "1", "50,000"],
    ["DH1", "an@example.vn", "", "2024-05-01 10:00", "SKU2", "mu", "1", "45000"],
    ["DH2", "", "0912345678", "02/05/2024", "SKU1", "giay", "-1", "150000"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=sep, lineterminator="\n")
        writer.writerows([header, *rows])
    return path


def records(header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    return [dict(zip(header, r, strict=True)) for r in rows]


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(i) for i in items) + b"\n")
    return path


def events(store: Store, where: str = "true") -> list[dict[str, Any]]:
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT type, event, user_id, anonymous_id, message_id, source_id, timestamp, "
            f"traits, properties, context FROM events WHERE {where} ORDER BY message_id",
            step="test.events",
        )
    for row in rows:
        for key in ("traits", "properties", "context"):
            row[key] = orjson.loads(row[key]) if row[key] else None
    return rows


def count(store: Store, table: str) -> int:
    with store.session() as s:
        row = s.fetchone(f"SELECT count(*) FROM {table}", step="test.count")
    return int(row[0]) if row else 0


def import_file(
    store: Store, ws: Workspace, path: Path, kind: str = "profiles", **kw: object
) -> ImportReport:
    """run_import with the test defaults: no mapping (headers map by name), detected encoding."""
    kw.setdefault("mapping", None)
    kw.setdefault("encoding", None)
    return run_import(store, ws.settings, kind=kind, path=path, actor="test", **kw)  # type: ignore[arg-type]
