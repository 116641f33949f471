"""One chunk of an import: check each row, set rejects aside, drop duplicates, insert events."""

from __future__ import annotations

from unicx.errors import FieldIssue, ValidationError
from unicx.ingest.schema import EventRow
from unicx.profiles.imports.load import ImportLoad
from unicx.profiles.imports.models import ERROR_SAMPLE, Chunk, ImportReport, RowIssue
from unicx.profiles.imports.rejects import RejectsFile
from unicx.profiles.imports.rows import RowBuilder, digest
from unicx.profiles.imports.validate import CHECKERS, Checked, Rules

_IDENTIFIERS = ("user_id", "email", "phone")


def _hash64(key: bytes) -> int:
    return int.from_bytes(key[:8], "little")


class ChunkImporter:
    def __init__(
        self,
        rules: Rules,
        builder: RowBuilder,
        load: ImportLoad,
        rejects: RejectsFile,
        report: ImportReport,
        *,
        max_errors: int | None,
    ) -> None:
        self.rules = rules
        self.builder = builder
        self.load = load
        self.rejects = rejects
        self.report = report
        self.max_errors = max_errors
        self.check = CHECKERS[rules.kind]
        self.mapped = {**rules.cmap.fields, **rules.cmap.traits}

    def run(self, chunk: Chunk) -> None:
        accepted, issues = self._check(chunk)
        self.rejects.write(chunk, {row: i for i, row in enumerate(chunk.rows)}, issues)
        report = self.report
        report.total_rows += len(chunk.rows) + len(chunk.broken)
        report.rejected += len(issues)
        for found in issues.values():
            room = ERROR_SAMPLE - len(report.errors)
            report.errors.extend(found[: max(room, 0)])
        if self.max_errors is not None and report.rejected > self.max_errors:
            raise ValidationError(
                f"{report.rejected} rows rejected, more than --max-errors {self.max_errors}; "
                f"nothing was imported (rejected rows so far: {self.rejects.path})",
                issues=[
                    FieldIssue(f"row {e.row}.{e.column}", e.rule, e.message)
                    for e in report.errors[:20]
                ],
            )
        self._store(accepted)

    def _check(self, chunk: Chunk) -> tuple[list[Checked], dict[int, list[RowIssue]]]:
        issues: dict[int, list[RowIssue]] = {
            row: [RowIssue(row=row, column="*", rule=rule, message=message)]
            for row, (rule, message) in chunk.broken.items()
        }
        columns = [(name, chunk.values[column]) for name, column in self.mapped.items()]
        accepted: list[Checked] = []
        for i, row in enumerate(chunk.rows):
            checked = self.check(self.rules, row, {name: col[i] for name, col in columns})
            if checked.issues:
                issues[row] = checked.issues
            else:
                accepted.append(checked)
        return accepted, issues

    def _store(self, accepted: list[Checked]) -> None:
        profiles = self.rules.kind == "profiles"
        keys: list[bytes] = []
        lines: list[int] = []
        for c in accepted:
            if profiles:
                key = digest("profile", c.record, c.traits)
                keys.append(key)
                lines.append(_hash64(key))
            else:
                keys.append(digest("order", c.record))
                lines.append(_hash64(digest(c.record["order_id"], c.record["sku"])))
        numbers = self.load.dedupe(lines, [_hash64(k) for k in keys])
        rows: list[EventRow] = []
        ids: list[tuple[str, str]] = []
        for c, key, line in zip(accepted, keys, numbers, strict=True):
            if line is None:
                self.report.duplicates += 1
                continue
            rows.append(self.builder.profile(c, key) if profiles else self.builder.order(c, line))
            if profiles:
                ids.extend((t, c.record[t]) for t in _IDENTIFIERS if c.record.get(t))
        self.load.remember_ids(ids)
        self.load.insert(rows)
        self.report.accepted += len(rows)

    def finish(self) -> None:
        """Counts that need every insert done."""
        self.load.flush()
        self.report.events_written = self.load.inserted
        self.report.already_imported = self.report.accepted - self.load.inserted
