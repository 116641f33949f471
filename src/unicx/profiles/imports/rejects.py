"""The rejects file: each rejected row as it was, plus where and why it failed.

One line per rejected row (several issues of a row are joined with " | "), UTF-8 with a BOM so
spreadsheet programs read Vietnamese correctly. Cells that a spreadsheet would run as a formula,
the header's column names included (see :mod:`unicx.csvfile`), get a leading apostrophe here
only: the stored events keep the value as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from unicx.csvfile import safe_text
from unicx.profiles.imports.models import Chunk, RowIssue

_ISSUE_COLUMNS = ("row", "column", "rule", "message")


class RejectsFile:
    """Opened on the first rejected row, so a clean import leaves no file behind."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        extra = []
        for name in _ISSUE_COLUMNS:
            while name in columns or name in extra:
                name = "_" + name  # never shadow a column of the file
            extra.append(name)
        self.header = [*columns, *extra]
        self._file: IO[str] | None = None
        self._writer: Any = None  # csv's writer type is private in typeshed
        self.rows = 0

    def write(self, chunk: Chunk, index: dict[int, int], issues: dict[int, list[RowIssue]]) -> None:
        """Rows of ``chunk`` with issues; ``index`` maps a row number to its position."""
        if not issues:
            return
        writer = self._open()
        for row, found in sorted(issues.items()):
            pos = index.get(row)
            line = [
                safe_text(chunk.values[c][pos]) if pos is not None else "" for c in self.columns
            ]
            line += [
                str(row),
                safe_text(" | ".join(i.column for i in found)),
                safe_text(" | ".join(i.rule for i in found)),
                safe_text(" | ".join(i.message for i in found)),
            ]
            writer.writerow(line)
            self.rows += 1

    def _open(self) -> Any:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow([safe_text(h) for h in self.header])
        return self._writer

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
