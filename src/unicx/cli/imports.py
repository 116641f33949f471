"""`unicx import profiles|orders FILE`: bulk import with a progress bar and a report.

Runs the import in this process when it can open the workspace, else uploads the file to the
server holding it (`POST /v1/imports`), which runs the same service.
"""

from __future__ import annotations

import getpass
import json
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from unicx.cli.client import Operation, RemoteClient, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.config import Settings
from unicx.errors import ValidationError
from unicx.profiles.imports import ImportKind, ImportReport, list_imports, parse_mapping, run_import
from unicx.store import Store

app = typer.Typer(
    help="Import profiles and orders from CSV, Parquet or JSON lines.", no_args_is_help=True
)


class DateOrder(StrEnum):
    dmy = "dmy"
    mdy = "mdy"


FileArg = Annotated[Path, typer.Argument(help="CSV, Parquet or JSON-lines file.")]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="canonical=Column,... (default: columns named like canonical fields; "
        "profiles also take trait.<name>=Column).",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(help="Text encoding (default: UTF-8 if the file is valid UTF-8, else cp1258)."),
]
MaxErrorsOpt = Annotated[
    int | None,
    typer.Option(min=0, help="Fail (import nothing) if more rows than this are rejected."),
]
DateOrderOpt = Annotated[
    DateOrder, typer.Option(help="Order of dd/mm/yyyy-style dates: dmy (default) or mdy.")
]


@app.command("profiles")
@reports_errors
def profiles(
    file: FileArg,
    workspace: WorkspaceOpt,
    mapping: MapOpt = None,
    encoding: EncodingOpt = None,
    keep_unmapped: Annotated[
        bool, typer.Option(help="Keep columns not mapped as custom traits.")
    ] = False,
    max_errors: MaxErrorsOpt = None,
    date_order: DateOrderOpt = DateOrder.dmy,
    as_json: JsonOpt = False,
) -> None:
    """Import customer records (CRM export): one identify event per row, then matching."""
    options = _options(mapping, encoding, max_errors, date_order, keep_unmapped=keep_unmapped)
    _import("profiles", file, workspace, options, as_json)


@app.command("orders")
@reports_errors
def orders(
    file: FileArg,
    workspace: WorkspaceOpt,
    mapping: MapOpt = None,
    encoding: EncodingOpt = None,
    max_errors: MaxErrorsOpt = None,
    date_order: DateOrderOpt = DateOrder.dmy,
    as_json: JsonOpt = False,
) -> None:
    """Import order lines: one Order Completed (or Order Refunded) event per line."""
    options = _options(mapping, encoding, max_errors, date_order, keep_unmapped=False)
    _import("orders", file, workspace, options, as_json)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Past imports, newest first."""
    op = Operation(
        lambda store, _: list_imports(store), api("GET", "/v1/imports", list[ImportReport])
    )
    reports = run(workspace, op)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in reports], ensure_ascii=False))
        return
    table = Table("import", "kind", "file", "rows", "accepted", "rejected", "written", "at")
    for r in reports:
        table.add_row(
            r.import_id,
            r.kind,
            r.file_name,
            str(r.total_rows),
            str(r.accepted),
            str(r.rejected),
            str(r.events_written),
            f"{r.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _options(
    mapping: str | None,
    encoding: str | None,
    max_errors: int | None,
    date_order: DateOrder,
    *,
    keep_unmapped: bool,
) -> dict[str, Any]:
    return {
        "mapping": parse_mapping(mapping) if mapping else None,
        "encoding": encoding,
        "max_errors": max_errors,
        "date_order": date_order.value,
        "keep_unmapped": keep_unmapped,
    }


def _import(
    kind: ImportKind, file: Path, workspace: Path, options: dict[str, Any], as_json: bool
) -> None:
    if not file.is_file():
        raise ValidationError(f"no such file: {file}")
    op = Operation(
        lambda store, settings: _local(store, settings, kind, file, options, quiet=as_json),
        lambda client: _remote(client, kind, file, options, quiet=as_json),
    )
    report = run(workspace, op)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
    else:
        _print(report)


def _local(
    store: Store,
    settings: Settings,
    kind: ImportKind,
    file: Path,
    options: dict[str, Any],
    *,
    quiet: bool,
) -> ImportReport:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, disable=quiet) as bar:
        task = bar.add_task(f"importing {file.name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total, description=f"{done:,} rows")

        return run_import(
            store,
            settings,
            kind=kind,
            path=file,
            actor=f"cli:{getpass.getuser()}",
            progress=progress,
            **options,
        )


def _remote(
    remote: RemoteClient, kind: ImportKind, file: Path, options: dict[str, Any], *, quiet: bool
) -> ImportReport:
    form = {"kind": kind, "date_order": options["date_order"]}
    if options["mapping"]:
        form["mapping"] = json.dumps(options["mapping"])
    for name in ("encoding", "max_errors", "keep_unmapped"):
        if options[name] not in (None, False):
            form[name] = str(options[name]).lower()
    status: AbstractContextManager[Any] = (
        nullcontext() if quiet else console.status(f"uploading {file.name}; the server imports it")
    )
    with status, file.open("rb") as fh:
        res = remote.send(api("POST", "/v1/imports"), data=form, files={"file": (file.name, fh)})
    return ImportReport.model_validate_json(res.content)


def _print(r: ImportReport) -> None:
    table = Table("", "rows", title=f"import {r.import_id} ({r.kind}, {r.file_name})")
    for label, value in (
        ("read", r.total_rows),
        ("accepted", r.accepted),
        ("rejected", r.rejected),
        ("duplicates in the file", r.duplicates),
        ("already imported before", r.already_imported),
        ("events written", r.events_written),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    if r.errors:
        issues = Table("row", "column", "rule", "message", title="first rejected rows")
        for e in r.errors[:10]:
            issues.add_row(str(e.row), e.column, e.rule, e.message)
        console.print(issues)
    if r.rejects_path:
        console.print(f"[yellow]rejected rows written to[/] {r.rejects_path}")
    for warning in r.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
