"""`unicx reports …`: the audience exploration reports as a table, JSON or CSV.

Each command runs the report locally, or through the server holding the workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_origin

import typer
from rich.table import Table

from unicx.cli.client import Operation, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.reports import service
from unicx.reports.models import (
    AffinityReport,
    CohortsReport,
    FunnelReport,
    GeographyReport,
    ProductsReport,
    Report,
)
from unicx.reports.scope import invalid

app = typer.Typer(
    help="Audience reports: geography, products, affinity, funnel, cohorts.",
    no_args_is_help=True,
)

FromOpt = Annotated[
    str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: 30 days ago).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Day after the range, exclusive (default: tomorrow).")
]
SegmentOpt = Annotated[str | None, typer.Option("--segment", "-s", help="Segment id or name.")]
CsvOpt = Annotated[
    Path | None, typer.Option("--csv", help="Write the report as CSV to this file ('-': stdout).")
]
LevelOpt = Annotated[str, typer.Option(help="category or product")]
LimitOpt = Annotated[int, typer.Option(help="Most rows to show.")]

R = TypeVar("R", bound=Report)
PERCENT = {"conversion", "conversion_from_previous", "conversion_from_first", "support"}
PERCENT |= {"confidence", "growth", "retention"}
TABLE_SKIP = {"active"}  # cohorts: the table shows the shares; --json/--csv have the counts


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(option, "date", f"expected YYYY-MM-DD, got {value!r}") from None


def _run(
    workspace: Path,
    report_type: type[R],
    local: Callable[..., R],
    common: tuple[str | None, str | None, str | None],
    **options: Any,
) -> R:
    """The report from the service, or from the server's endpoint when it holds the workspace."""
    start, end = _day("from", common[0]), _day("to", common[1])
    given = {"from": start, "to": end, "segment": common[2], **options}
    params = {k: str(v) for k, v in given.items() if v is not None}
    op: Operation[R] = Operation(
        lambda store, settings: local(
            store, settings, start=start, end=end, segment=common[2], **options
        ),
        api("GET", f"/v1/reports/{report_type.kind()}", report_type, params=params),
    )
    return run(workspace, op)


def _cell(field: str, value: Any) -> str:
    if value is None:
        return "-"
    if field in PERCENT or field.startswith("retention_"):
        return f"{value:.1%}"
    if field == "lift":
        return f"{value:.2f}x"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """List fields spread over ``name_0 …`` (those in TABLE_SKIP left out)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if not isinstance(value, list):
            out[key] = value
        elif key not in TABLE_SKIP:
            out.update({f"{key}_{i}": x for i, x in enumerate(value)})
    return out


def _table(report: Report) -> Table:
    rows = [_flat(r.model_dump()) for r in report.rows]
    if rows:  # columns empty in every row (city at country level, …) are left out
        columns = [c for c in rows[0] if any(r[c] is not None for r in rows)]
    else:
        columns = [
            c
            for c, f in report.row_type().model_fields.items()
            if get_origin(f.annotation) is not list
        ]
    p = report.params
    segment = f", segment {p.segment}" if p.segment else ""
    title = f"{report.kind()} {p.from_} → {p.to} (exclusive){segment}"
    table = Table(*[c.removeprefix("retention_").replace("_", " ") for c in columns], title=title)
    for r in rows:
        table.add_row(*[_cell(c, r[c]) for c in columns])
    return table


def _output(report: Report, as_json: bool, csv_file: Path | None) -> None:
    if csv_file is not None:
        if str(csv_file) == "-":
            typer.echo(report.csv(), nl=False)
            return
        csv_file.write_text(report.csv(), encoding="utf-8")
        console.print(f"wrote {len(report.rows)} rows to {csv_file}")
        return
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    console.print(_table(report))
    if not report.rows:
        console.print("no rows in this range")


@app.command("geography")
@reports_errors
def geography(
    workspace: WorkspaceOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    segment: SegmentOpt = None,
    level: Annotated[str, typer.Option(help="country or city")] = "country",
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
    csv_file: CsvOpt = None,
) -> None:
    """Active users, buyers, revenue and conversion per country or city."""
    common = (start, end, segment)
    report = _run(workspace, GeographyReport, service.geography, common, level=level, limit=limit)
    _output(report, as_json, csv_file)


@app.command("products")
@reports_errors
def products(
    workspace: WorkspaceOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    segment: SegmentOpt = None,
    level: LevelOpt = "category",
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
    csv_file: CsvOpt = None,
) -> None:
    """Views, adds, buyers, units, revenue and growth per category or product."""
    common = (start, end, segment)
    report = _run(workspace, ProductsReport, service.products, common, level=level, limit=limit)
    _output(report, as_json, csv_file)


@app.command("affinity")
@reports_errors
def affinity(
    workspace: WorkspaceOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    segment: SegmentOpt = None,
    level: LevelOpt = "category",
    item: Annotated[str | None, typer.Option(help="Only pairs starting from this item.")] = None,
    min_support: Annotated[float, typer.Option(help="Least share of buyers.")] = 0.01,
    min_count: Annotated[int, typer.Option(help="Least buyers of both.")] = 2,
    limit: LimitOpt = 50,
    as_json: JsonOpt = False,
    csv_file: CsvOpt = None,
) -> None:
    """Items bought by the same people: support, confidence and lift."""
    options = {"level": level, "item": item, "min_support": min_support, "min_count": min_count}
    report = _run(
        workspace, AffinityReport, service.affinity, (start, end, segment), limit=limit, **options
    )
    _output(report, as_json, csv_file)
    if not as_json and csv_file is None:
        console.print(f"{report.params.buyers:,} buyers in the range")


@app.command("funnel")
@reports_errors
def funnel(
    workspace: WorkspaceOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    segment: SegmentOpt = None,
    by: Annotated[
        str, typer.Option(help="none, utm_source, utm_medium, utm_campaign or channel")
    ] = "none",
    as_json: JsonOpt = False,
    csv_file: CsvOpt = None,
) -> None:
    """People per lifecycle stage (funnel.yaml), conversion, drop-off, median time."""
    report = _run(workspace, FunnelReport, service.funnel, (start, end, segment), by=by)
    _output(report, as_json, csv_file)


@app.command("cohorts")
@reports_errors
def cohorts(
    workspace: WorkspaceOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    segment: SegmentOpt = None,
    by: Annotated[str, typer.Option(help="first_purchase or first_seen")] = "first_purchase",
    period: Annotated[str, typer.Option(help="week or month")] = "month",
    periods: Annotated[int, typer.Option(help="Periods to follow each cohort.")] = 6,
    as_json: JsonOpt = False,
    csv_file: CsvOpt = None,
) -> None:
    """Share of each first-purchase (or first-seen) cohort active in later periods."""
    options = {"by": by, "period": period, "periods": periods}
    report = _run(workspace, CohortsReport, service.cohorts, (start, end, segment), **options)
    _output(report, as_json, csv_file)
