"""`unicx keys create/list/revoke`: secret API keys with roles."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from unicx.auth.models import ApiKeyCreated, ApiKeyPublic, Role
from unicx.auth.service import AccessService
from unicx.cli.client import Operation, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors

app = typer.Typer(help="Secret API keys for the management API.", no_args_is_help=True)


def create_key(name: str, role: Role) -> Operation[ApiKeyCreated]:
    return Operation(
        lambda store, _: AccessService(store).create_api_key(name, role),
        api("POST", "/v1/keys", ApiKeyCreated, json={"name": name, "role": role.value}),
    )


def list_keys() -> Operation[list[ApiKeyPublic]]:
    return Operation(
        lambda store, _: AccessService(store).list_api_keys(),
        api("GET", "/v1/keys", list[ApiKeyPublic]),
    )


def revoke_key(key_id: str) -> Operation[ApiKeyPublic]:
    return Operation(
        lambda store, _: AccessService(store).revoke_api_key(key_id),
        api("DELETE", f"/v1/keys/{key_id}", ApiKeyPublic),
    )


@app.command("create")
@reports_errors
def create(
    name: str,
    workspace: WorkspaceOpt,
    role: Annotated[Role, typer.Option(help="admin, marketer, analyst or viewer")] = Role.analyst,
    as_json: JsonOpt = False,
) -> None:
    """Create a secret key; the secret is printed once and only its hash is kept."""
    key = run(workspace, create_key(name, role))
    if as_json:
        typer.echo(json.dumps(key.model_dump(mode="json")))
    else:
        console.print(f"{key.key_id} ({key.role.value}): [bold]{key.secret_key}[/]")


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List secret keys (id, role, prefix; never the secret)."""
    keys = run(workspace, list_keys())
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
    key = run(workspace, revoke_key(key_id))
    console.print(f"revoked {key.key_id}")
