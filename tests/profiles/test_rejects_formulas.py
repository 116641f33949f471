"""A marketer's upload cannot plant a spreadsheet formula in the rejects file an admin opens:
every cell and the header's column names are defused (real server, marketer key)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer
from unicx.csvfile import safe_cell

pytestmark = pytest.mark.slow

CALC = "-1+cmd|' /C calc'!A0"
HEADER = ["email", '=HYPERLINK("http://evil.example")', "\uff1dcmd|' /C calc'!A0"]
ROWS = [
    ["not-an-email", CALC, "+2+cmd|' /C calc'!A0"],
    ["also-bad", "\uff0b1+cmd|' /C calc'!A0", "@SUM(A1)"],
    ["bad-again", "\t=1+1", "\r=1+1"],
]
STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _upload() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    return out.getvalue().encode("utf-8")


def test_rejects_file_cells_and_header_are_defused(
    server: ServerProcess, workspace: Workspace
) -> None:
    made = httpx.post(
        f"{server.url}/v1/keys",
        headers=bearer(workspace.secret_key),
        json={"name": "m", "role": "marketer"},
    )
    marketer = bearer(made.json()["secret_key"])
    res = httpx.post(
        f"{server.url}/v1/imports",
        headers=marketer,
        data={"kind": "profiles", "mapping": "email=email"},
        files={"file": ("crm.csv", _upload(), "text/csv")},
    )
    assert res.status_code == 200, res.text
    assert res.json()["rejected"] == 3
    path = Path(res.json()["rejects_path"])
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    cells = [c for line in lines for c in line]
    assert not [c for c in cells if c.startswith(STARTS)], lines
    assert lines[0][1:3] == ["'" + HEADER[1], "'" + HEADER[2]]
    assert lines[1][1] == "'" + CALC


def test_safe_cell_rules() -> None:
    for start in STARTS:
        assert safe_cell(start + "1") == "'" + start + "1"
    assert safe_cell("Nguyễn Văn Hùng") == "Nguyễn Văn Hùng"
    assert safe_cell(-3) == -3 and safe_cell(None) == ""
