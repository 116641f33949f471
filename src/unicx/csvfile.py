"""CSV downloads people open in spreadsheets: UTF-8 with a BOM (Excel reads Vietnamese text
right) and cells that would start a formula (=, +, -, @, tab, CR, and their full-width forms,
which spreadsheets in East Asian locales fold to ASCII) prefixed with ``'``, so a trait value
such as ``=HYPERLINK(...)`` or ``-1+cmd|' /C calc'!A0`` stays text (OWASP "CSV injection").
Every text cell is guarded, headers included (an import file's column names come back in its
rejects file); a string that looks like a negative number is quoted too, since ``-1+cmd``
starts like one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` ready for a CSV cell: text that could start a formula gets a leading ``'``,
    None becomes empty, numbers stay numbers."""
    if isinstance(value, str):
        return safe_text(value)
    return "" if value is None else value


def safe_text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
