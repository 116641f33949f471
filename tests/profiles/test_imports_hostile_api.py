"""Imports as an attacker with the lowest role that may import (marketer), against a real
server: codec names that decompress, compressed uploads, Parquet bombs. Each gets a 4xx naming
the field and rule, the server stays up, and the RSS does not balloon."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.profiles.imports_data import ORDERS, ORDERS_HEADER
from tests.role_server import RoleServer, role_server
from unicx.auth.models import Role
from unicx.cli.main import app as cli

pytestmark = pytest.mark.slow
runner = CliRunner()
LIMIT = 2_000_000  # import_max_bytes of the server under attack
ORDER_MAP = ",".join(f"{c}={c}" for c in ORDERS_HEADER)


def _csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([ORDERS_HEADER, *ORDERS])
    return out.getvalue().encode()


CSV = _csv()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleServer]:
    path = tmp_path_factory.mktemp("imports") / "ws"
    with role_server(path, {"UNICX_IMPORT_MAX_BYTES": str(LIMIT)}) as s:
        yield s


def _upload(site: RoleServer, name: str, data: bytes, **form: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    with site.client(Role.marketer) as c:
        r = c.post(
            "/v1/imports",
            data={"kind": "orders", "mapping": ORDER_MAP, **form},
            files={"file": (name, data, "application/octet-stream")},
        )
    return r.status_code, r.json()


def _issue(body: dict) -> tuple[str, str]:  # type: ignore[type-arg]
    return body["issues"][0]["field"], body["issues"][0]["rule"]


def test_codec_names_that_are_not_text_encodings_are_refused(site: RoleServer) -> None:
    # 351 bytes of bz2 that inflate to 400 MiB: before the fix, a 500 after the server
    # decoded it all in memory.
    bomb = bz2.compress(b"a" * (400 << 20))
    rss = site.rss_kib()
    for codec in ("bz2_codec", "zlib_codec", "hex", "rot13", "base64", "../../etc", "x" * 500):
        status, body = _upload(site, "orders.csv", bomb, encoding=codec)
        assert status == 400, (codec, body)
        assert _issue(body) == ("encoding", "text_encoding")
        assert "utf-8" in body["issues"][0]["message"] and "cp1258" in body["message"]
    assert site.rss_kib() - rss < 100 << 10  # far below the 400 MiB the bomb would take


def test_listed_text_encodings_import(site: RoleServer) -> None:
    for codec, data in (("utf-16", CSV.decode().encode("utf-16")), ("windows-1258", CSV)):
        status, body = _upload(site, f"orders-{codec}.csv", data, encoding=codec)
        assert status == 200, body
        assert body["accepted"] == len(ORDERS)


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("orders.csv", gzip.compress),
        ("orders.csv", bz2.compress),
        ("orders.csv", lzma.compress),
        ("orders.csv.gz", lambda b: b),  # the suffix alone: pyarrow would inflate it
        ("orders.jsonl", lambda b: b"PK\x03\x04" + b[4:]),
    ],
)
def test_compressed_uploads_are_refused(site: RoleServer, name: str, pack: object) -> None:
    data = pack(CSV)  # type: ignore[operator]
    status, body = _upload(site, name, data)
    assert status == 400, body
    assert _issue(body) == ("file", "compressed")


def test_zip_archive_is_refused(site: RoleServer) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("orders.csv", CSV * 1000)
    status, body = _upload(site, "orders.zip", out.getvalue())
    assert status == 400 and _issue(body) == ("file", "compressed")


def _parquet(rows: int, *, row_group: int) -> bytes:
    text = pa.array(["Nguyễn Văn Hùng " * 20] * rows)
    table = pa.table({"order_id": text, "email": text})
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", use_dictionary=False, row_group_size=row_group)
    return out.getvalue()


def test_parquet_that_decompresses_past_the_limit_is_refused(site: RoleServer) -> None:
    data = _parquet(20_000, row_group=5_000)  # ~25 MB of text in a file of a few KB
    assert len(data) < LIMIT // 10
    status, body = _upload(site, "orders.parquet", data)
    assert status == 413, body
    assert _issue(body) == ("file", "import_max_bytes")
    # A small Parquet file is imported as before.
    small = io.BytesIO()
    pq.write_table(
        pa.table({c: [r[i] for r in ORDERS] for i, c in enumerate(ORDERS_HEADER)}), small
    )
    status, body = _upload(site, "orders.parquet", small.getvalue())
    assert status == 200 and body["accepted"] == len(ORDERS), body


def test_cli_refuses_codecs_and_compressed_files(workspace: Workspace, tmp_path: Path) -> None:
    """`unicx import` on a workspace no server holds reads the file itself: same rules."""
    ws = ["--workspace", str(workspace.path), "--map", ORDER_MAP]
    plain = tmp_path / "orders.csv"
    plain.write_bytes(CSV)
    res = runner.invoke(cli, ["import", "orders", str(plain), *ws, "--encoding", "bz2_codec"])
    assert res.exit_code == 1 and "encoding 'bz2_codec' is not accepted" in res.output
    packed = tmp_path / "orders.csv.gz"
    packed.write_bytes(gzip.compress(CSV))
    res = runner.invoke(cli, ["import", "orders", str(packed), *ws])
    assert res.exit_code == 1 and "compressed files (gz)" in res.output
    res = runner.invoke(cli, ["import", "orders", str(plain), *ws, "--encoding", "cp1258"])
    assert res.exit_code == 0, res.output
