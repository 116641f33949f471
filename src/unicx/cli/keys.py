"""`unicx keys create/list/revoke`: secret API keys with roles."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from unicx.auth.models import Role
from unicx.cli.backend import open_backend
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for

app = typer.Typer(help="Secret API keys for the management API.", no_args_is_help=True)


@app.command("create")
@reports_errors
def create(
    name: str,
    workspace: WorkspaceOpt,
    role: Annotated[Role, typer.Option(help="admin, marketer, analyst or viewer")] = Role.analyst,
    as_json: JsonOpt = False,
) -> None:
    """Create a secret key; the secret is printed once and only its hash is kept."""
    with open_backend(settings_for(workspace)) as backend:
        key = backend.create_key(name, role)
    if as_json:
        typer.echo(json.dumps(key.model_dump(mode="json")))
    else:
        console.print(f"{key.key_id} ({key.role.value}): [bold]{key.secret_key}[/]")


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List secret keys (id, role, prefix; never the secret)."""
    with open_backend(settings_for(workspace)) as backend:
        keys = backend.list_keys()
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in keys]))
        return
    table = Table("key", "name", "role", "prefix", "status")
    for k in keys:
        status = "revoked" if k.revoked_at else "active"
        table.add_row(k.key_id, k.name, k.role.value, k.prefix + "…", status)
    console.print(table)


@app.command("revoke")
@reports_errors
def revoke(key_id: str, workspace: WorkspaceOpt) -> None:
    """Revoke a secret key at once."""
    with open_backend(settings_for(workspace)) as backend:
        key = backend.revoke_key(key_id)
    console.print(f"revoked {key.key_id}")
