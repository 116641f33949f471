"""Generated SQL compared with reviewed, pretty-printed snapshots (one file per case).

Each case is printed by sqlglot's pretty printer (DuckDB dialect) into
``tests/snapshots/<area>/<case>.sql``, so a change to a query generator shows up as a diff to
review, like ibis's SQL snapshots. A missing snapshot fails (CI never passes silently);
``UNICX_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest <tests>`` writes them, then review the diff.
Parameters stay ``$name`` / ``?`` placeholders: the files hold no values but those in comments.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_VARIABLE = "UNICX_UPDATE_SNAPSHOTS"


def pretty(sql: str) -> str:
    """``sql`` (one or more statements) pretty-printed; refuses what sqlglot cannot parse."""
    statements = sqlglot.parse(sql, read="duckdb")
    out = []
    for statement in statements:
        # sqlglot falls back to an opaque Command for syntax it does not know: not reviewable.
        if statement is None or isinstance(statement, exp.Command):
            raise AssertionError(f"sqlglot cannot parse this statement:\n{sql}")
        out.append(statement.sql(dialect="duckdb", pretty=True))
    return ";\n\n".join(out) + ";\n"


def params_comment(params: Mapping[str, Any] | None) -> str:
    """``-- $name = value`` lines for the parameters of a test case (sorted by name)."""
    if not params:
        return ""
    lines = [
        f"-- ${k} = {json.dumps(v, default=str, ensure_ascii=False)}"
        for k, v in sorted(params.items())
    ]
    return "\n".join(lines) + "\n"


def snapshot_text(sql: str, *, title: str, params: Mapping[str, Any] | None = None) -> str:
    return f"-- {title}\n{params_comment(params)}{pretty(sql)}"


def assert_snapshot(area: str, case: str, text: str) -> None:
    """``text`` equals ``tests/snapshots/<area>/<case>.sql`` (written when updating)."""
    path = SNAPSHOTS / area / f"{case}.sql"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot {path.relative_to(SNAPSHOTS.parent)}: run with {UPDATE_VARIABLE}=1"
        )
    assert text == path.read_text(encoding="utf-8")


class RecordingSession:
    """Stands in for a store Session: keeps the SQL it is asked to run, returns no rows; for
    generators that build their statement inside the function that runs it."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def fetchall(self, sql: str, params: Any = None, *, step: str) -> list[Any]:
        self.sql.append(sql)
        return []

    def execute(self, sql: str, params: Any = None, *, step: str) -> RecordingSession:
        self.sql.append(sql)
        return self

    def register(self, name: str, table: Any) -> None:
        """Arrow tables registered for a statement are not part of its text."""

    def unregister(self, name: str) -> None:
        """See :meth:`register`."""
