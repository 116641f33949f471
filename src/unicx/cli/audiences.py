"""`unicx audiences …`: ad-audience syncs (create, list, sync, runs).

Runs on the workspace directly, or through the API when a server holds it."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from unicx.channels.audiences import create_sync, list_runs, list_syncs, run_sync, update_sync
from unicx.cli.client import Operation, api, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.errors import FieldIssue, ValidationError

app = typer.Typer(help="Ad audiences: segment → ad platform customer lists.", no_args_is_help=True)
SyncArg = Annotated[str, typer.Argument(help="Sync id or name.")]


def _config(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"--config is not JSON: {exc}", issues=[FieldIssue("config", "json", str(exc))]
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(
            "--config must be a JSON object", issues=[FieldIssue("config", "type", "an object")]
        )
    return value


@app.command("create")
@reports_errors
def create(
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Argument(help="Name of the sync (also its folder name).")],
    segment: Annotated[str, typer.Option(help="Segment id or name.")],
    destination: Annotated[
        str,
        typer.Option(help="google_customer_match, meta_custom_audience or tiktok_custom_audience"),
    ],
    config: Annotated[str, typer.Option(help='JSON, e.g. {"identifiers": ["email"]}')] = "{}",
    as_json: JsonOpt = False,
) -> None:
    """Define a sync of a segment to an ad platform."""
    cfg = _config(config)
    body = {"name": name, "segment": segment, "destination": destination, "config": cfg}
    op = Operation(
        lambda store, _: create_sync(
            store, name=name, segment_ref=segment, destination=destination, config=cfg
        ),
        api("POST", "/v1/audiences", json=body),
    )
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data))
        return
    console.print(f"[green]created[/] {data['name']} ({data['sync_id']})")


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Every audience sync."""
    op = Operation(lambda store, _: list_syncs(store), api("GET", "/v1/audiences"))
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data))
        return
    table = Table("id", "name", "destination", "segment", "every", "last run")
    for d in data:
        table.add_row(d["sync_id"], d["name"], d["destination"], d["segment_id"],
                      d["config"].get("every") or "", str(d["last_run_at"] or ""))  # fmt: skip
    console.print(table)


@app.command("configure")
@reports_errors
def configure(
    workspace: WorkspaceOpt,
    sync_ref: SyncArg,
    config: Annotated[str, typer.Option(help='JSON, e.g. {"every": "1d", "mode": "delta"}')],
    as_json: JsonOpt = False,
) -> None:
    """Replace a sync's config (identifiers, schedule)."""
    cfg = _config(config)
    op = Operation(
        lambda store, _: update_sync(store, sync_ref, cfg),
        api("PATCH", f"/v1/audiences/{quote(sync_ref, safe='')}", json={"config": cfg}),
    )
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data))
        return
    every = data["config"].get("every")
    schedule = f"every {every}, {data['config']['mode']}" if every else "only when asked"
    console.print(f"[green]updated[/] {data['name']}: {schedule}")


@app.command("sync")
@reports_errors
def sync(
    workspace: WorkspaceOpt,
    sync_ref: SyncArg,
    mode: Annotated[str, typer.Option(help="full or delta")] = "delta",
    as_json: JsonOpt = False,
) -> None:
    """Write the sync's files now (full: every member; delta: add and remove files)."""
    op = Operation(
        lambda store, settings: run_sync(store, settings, sync_ref, mode=mode),
        api("POST", f"/v1/audiences/{quote(sync_ref, safe='')}/sync", params={"mode": mode}),
    )
    data = run_plain(workspace, op)
    if as_json:
        typer.echo(json.dumps(data))
        return
    console.print(f"{data['kind']}: +{data['added']:,} -{data['removed']:,}")
    for f in data["files"]:
        console.print(f"  wrote {f}")


@app.command("runs")
@reports_errors
def runs(workspace: WorkspaceOpt, sync_ref: SyncArg, as_json: JsonOpt = False) -> None:
    """The sync's runs, newest first."""
    path = f"/v1/audiences/{quote(sync_ref, safe='')}/runs"
    data = run_plain(
        workspace, Operation(lambda store, _: list_runs(store, sync_ref), api("GET", path))
    )
    if as_json:
        typer.echo(json.dumps(data))
        return
    table = Table("run at", "kind", "added", "removed", "files")
    for r in data:
        table.add_row(str(r["run_at"]), r["kind"], str(r["added"]), str(r["removed"]),
                      " ".join(r["files"]))  # fmt: skip
    console.print(table)
