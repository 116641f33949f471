"""`unicx sources add/list/revoke/add-key/revoke-key`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from unicx.auth.models import SourcePublic, WriteKeyPublic
from unicx.auth.service import AccessService
from unicx.cli.client import Operation, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors

app = typer.Typer(help="Sources and their write keys.", no_args_is_help=True)


def list_sources() -> Operation[list[SourcePublic]]:
    return Operation(
        lambda store, _: AccessService(store).list_sources(),
        api("GET", "/v1/sources", list[SourcePublic]),
    )


def create_source(name: str) -> Operation[SourcePublic]:
    return Operation(
        lambda store, _: AccessService(store).create_source(name),
        api("POST", "/v1/sources", SourcePublic, json={"name": name}),
    )


def revoke_source(source_id: str) -> Operation[SourcePublic]:
    return Operation(
        lambda store, _: AccessService(store).revoke_source(source_id),
        api("DELETE", f"/v1/sources/{source_id}", SourcePublic),
    )


def add_write_key(source_id: str) -> Operation[WriteKeyPublic]:
    return Operation(
        lambda store, _: AccessService(store).add_write_key(source_id),
        api("POST", f"/v1/sources/{source_id}/write-keys", WriteKeyPublic),
    )


def revoke_write_key(source_id: str, key_id: str) -> Operation[WriteKeyPublic]:
    return Operation(
        lambda store, _: AccessService(store).revoke_write_key(source_id, key_id),
        api("DELETE", f"/v1/sources/{source_id}/write-keys/{key_id}", WriteKeyPublic),
    )


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
    _print([run(workspace, create_source(name))], as_json)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List sources with their active write keys."""
    _print(run(workspace, list_sources()), as_json)


@app.command("revoke")
@reports_errors
def revoke(source_id: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Revoke a source and every write key it has (its events stay)."""
    _print([run(workspace, revoke_source(source_id))], as_json)


@app.command("add-key")
@reports_errors
def add_key(source_id: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Issue another write key for a source (key rotation)."""
    key = run(workspace, add_write_key(source_id))
    typer.echo(json.dumps(key.model_dump(mode="json")) if as_json else key.write_key)


@app.command("revoke-key")
@reports_errors
def revoke_key(
    source_id: str,
    key: Annotated[str, typer.Argument(help="Write key id or the write key itself.")],
    workspace: WorkspaceOpt,
) -> None:
    """Revoke one write key of a source."""
    revoked = run(workspace, revoke_write_key(source_id, key))
    console.print(f"revoked {revoked.key_id}")
