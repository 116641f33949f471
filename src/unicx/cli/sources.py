"""`unicx sources add/list/revoke/add-key/revoke-key`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from unicx.auth.models import SourcePublic
from unicx.cli.backend import open_backend
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for

app = typer.Typer(help="Sources and their write keys.", no_args_is_help=True)


def _print(sources: list[SourcePublic], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in sources]))
        return
    table = Table("source", "name", "status", "write keys (active)")
    for s in sources:
        active = [k.write_key for k in s.write_keys if k.revoked_at is None]
        table.add_row(
            s.source_id, s.name, "revoked" if s.revoked_at else "active", "\n".join(active) or "-"
        )
    console.print(table)


@app.command("add")
@reports_errors
def add(name: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Create a source and its first write key."""
    with open_backend(settings_for(workspace)) as backend:
        _print([backend.create_source(name)], as_json)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List sources with their active write keys."""
    with open_backend(settings_for(workspace)) as backend:
        _print(backend.list_sources(), as_json)


@app.command("revoke")
@reports_errors
def revoke(source_id: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Revoke a source and every write key it has (its events stay)."""
    with open_backend(settings_for(workspace)) as backend:
        _print([backend.revoke_source(source_id)], as_json)


@app.command("add-key")
@reports_errors
def add_key(source_id: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Issue another write key for a source (key rotation)."""
    with open_backend(settings_for(workspace)) as backend:
        key = backend.add_write_key(source_id)
    typer.echo(json.dumps(key.model_dump(mode="json")) if as_json else key.write_key)


@app.command("revoke-key")
@reports_errors
def revoke_key(
    source_id: str,
    key: Annotated[str, typer.Argument(help="Write key id or the write key itself.")],
    workspace: WorkspaceOpt,
) -> None:
    """Revoke one write key of a source."""
    with open_backend(settings_for(workspace)) as backend:
        revoked = backend.revoke_write_key(source_id, key)
    console.print(f"revoked {revoked.key_id}")
