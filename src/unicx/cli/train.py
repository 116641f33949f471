"""`unicx train` and `unicx models`: train the workspace's models, list their runs.

Runs on the workspace, or through the API when a server holds it (as the other commands do).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli.client import Operation, api, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.predict import service
from unicx.predict.train import TRAINERS

models_app = typer.Typer(help="Model runs: list, show.", no_args_is_help=True)
ModelOpt = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help=f"Model to train (repeatable): {', '.join(TRAINERS)}."),
]


def _key_metrics(metrics: dict[str, Any]) -> str:
    shown = {k: v for k, v in metrics.items() if isinstance(v, int | float | str)}
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in list(shown.items())[:6]
    )


AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Train and evaluate on the history up to DATE (YYYY-MM-DD, through the end of "
        "that day in the workspace's time zone, or an ISO date-time): for imported archives.",
    ),
]


@reports_errors
def train(
    workspace: WorkspaceOpt, model: ModelOpt = None, as_of: AsOfOpt = None, as_json: JsonOpt = False
) -> None:
    """Train the models (all by default): CLV, churn, recommendations; then refresh segments."""
    names = service.check_names(model)
    body = {"models": names, "as_of": as_of}
    op = Operation(
        lambda store, settings: service.train(store, settings, names=names, as_of=as_of),
        api("POST", "/v1/models/train", json=body, timeout=3600),
    )
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    cut = next((o["as_of"] for o in data if o.get("as_of")), None)
    table = Table("model", "status", "rows", "seconds", "metrics", "message",
                  title=f"trained on the history up to {cut}" if cut else None)  # fmt: skip
    for o in data:
        style = "green" if o["status"] == "active" else "yellow"
        table.add_row(
            o["model"], f"[{style}]{o['status']}[/]", f"{o['rows']:,}", str(o["seconds"]),
            _key_metrics(o["metrics"]), o["message"],
        )  # fmt: skip
    console.print(table)


@models_app.command("list")
@reports_errors
def list_runs(
    workspace: WorkspaceOpt,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Training runs, newest first (active, superseded, rejected with the reason)."""
    op = Operation(
        lambda store, _: service.runs(store, model=model),
        api("GET", "/v1/models", params={"model": model} if model else {}),
    )
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    table = Table("model", "version", "status", "trained at", "rows", "metrics")
    for r in data:
        table.add_row(
            r["model"], r["version"], r["status"], str(r["trained_at"]), f"{r['rows']:,}",
            _key_metrics(r["metrics"]) or (r["message"] or ""),
        )  # fmt: skip
    console.print(table)
