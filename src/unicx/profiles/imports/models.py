"""What an import reports: counts, where the rejected rows went, a sample of why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ImportKind = Literal["profiles", "orders"]
IMPORT_KINDS: tuple[ImportKind, ...] = ("profiles", "orders")
# Issues kept in the report (all of them are in the rejects file).
ERROR_SAMPLE = 50


@dataclass
class Chunk:
    """Rows as columns of text; ``rows`` are their numbers as the user sees them."""

    rows: list[int]
    values: dict[str, list[str | None]]
    # Rows that could not even be split into columns: row number -> (rule, message).
    broken: dict[int, tuple[str, str]] = field(default_factory=dict)


class RowIssue(BaseModel):
    """One broken rule in one row. ``row`` counts as a spreadsheet does (see docs/imports.md)."""

    row: int
    column: str
    rule: str
    message: str


class ImportReport(BaseModel):
    import_id: str
    kind: ImportKind
    file_name: str
    file_format: str = Field(description="csv, parquet or jsonl")
    encoding: str | None = Field(default=None, description="Text encoding read (not parquet).")
    status: str = "completed"
    total_rows: int = 0
    accepted: int = Field(default=0, description="Valid rows, duplicates excluded.")
    rejected: int = Field(default=0, description="Rows failing a rule; see rejects_path.")
    duplicates: int = Field(default=0, description="Rows repeating an earlier row of the file.")
    already_imported: int = Field(
        default=0, description="Accepted rows whose event was already stored (a re-import)."
    )
    events_written: int = 0
    rejects_path: str | None = None
    created_at: datetime
    finished_at: datetime | None = None
    actor: str | None = None
    errors: list[RowIssue] = Field(default_factory=list, description="A sample of the issues.")
    warnings: list[str] = Field(
        default_factory=list, description="Steps after the commit that did not finish."
    )
