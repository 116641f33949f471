"""CSV downloads: cells that would start a spreadsheet formula stay text."""

from __future__ import annotations

import csv
import io

from unicx.csvfile import csv_bytes, safe_cell


def test_formula_cells_are_neutralized() -> None:
    hostile = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tx", "ok", None, 5]
    text = csv_bytes(["a"] * len(hostile), [hostile]).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[:6] == ['\'=HYPERLINK("http://x")', "'+1+2", "'-3", "'@SUM(A1)", "'\tx", "ok"]
    assert row[6:] == ["", "5"]
    assert safe_cell(-3) == -3  # numbers are data, not formulas
