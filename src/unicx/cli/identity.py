"""`unicx identity …`: rebuild, resolve now, list merges and conflicts, undo a merge.

Works on the workspace directly, or through the running server that holds it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli import identity_match
from unicx.cli.backend import RemoteBackend, open_target
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.identity.service import IdentityService
from unicx.profiles.pipeline import update_profiles

app = typer.Typer(help="Identity graph: merges, conflicts, rebuild.", no_args_is_help=True)
identity_match.register(app)

CLI_ACTOR = "cli"


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str, ensure_ascii=False))
    else:
        console.print(data)


@app.command("rebuild")
@reports_errors
def rebuild(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Rebuild every profile from all events and links (profile ids change)."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            data = target.call("POST", "/v1/identity/rebuild")
        else:
            with console.status("rebuilding identity graph…"):
                data = IdentityService(target, settings).rebuild().summary()
    _print(data, as_json)


@app.command("resolve")
@reports_errors
def resolve(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Resolve events not yet resolved (the server does this continuously)."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            data = target.call("POST", "/v1/identity/resolve")
        else:
            data = update_profiles(target, settings).summary()
    _print(data, as_json)


@app.command("merges")
@reports_errors
def merges(
    workspace: WorkspaceOpt,
    profile_id: Annotated[str | None, typer.Option("--profile")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Recorded merges, newest first (which profiles, why, when, undone or not)."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            params: dict[str, Any] = {"limit": limit}
            if profile_id:
                params["profile_id"] = profile_id
            rows = target.call("GET", "/v1/identity/merges", params=params)
        else:
            found = IdentityService(target, settings).list_merges(
                profile_id=profile_id, limit=limit
            )
            rows = [m.model_dump(mode="json") for m in found]
    if as_json:
        _print(rows, True)
        return
    table = Table("merge", "winner", "loser", "reason", "moved", "at", "undone")
    for m in rows:
        table.add_row(
            m["merge_id"], m["winner_id"], m["loser_id"], m["reason"],
            str(len(m["moved"])), str(m["created_at"])[:19], str(m["undone_at"] or "")[:19],
        )  # fmt: skip
    console.print(table)


@app.command("conflicts")
@reports_errors
def conflicts(
    workspace: WorkspaceOpt,
    status: Annotated[str, typer.Option(help="open, dismissed or merged")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Links merge protection refused (shared devices, too many ids of one type)."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            params = {"status": status, "limit": limit}
            rows = target.call("GET", "/v1/identity/conflicts", params=params)
        else:
            found = IdentityService(target, settings).list_conflicts(status=status, limit=limit)
            rows = [c.model_dump(mode="json") for c in found]
    if as_json:
        _print(rows, True)
        return
    table = Table("identifier", "rule", "profile", "other profile", "times", "last seen")
    for c in rows:
        table.add_row(
            f"{c['id_type']}={c['id_value']}", c["rule"], c["profile_id"],
            c["other_profile_id"], str(c["occurrences"]), str(c["last_seen"])[:19],
        )  # fmt: skip
    console.print(table)


@app.command("unmerge")
@reports_errors
def unmerge(
    workspace: WorkspaceOpt,
    merge_id: Annotated[str, typer.Argument(help="From `unicx identity merges`.")],
    as_json: JsonOpt = False,
) -> None:
    """Undo a merge: its identifiers go back and the pair is blocked from merging again."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            data = target.call("POST", f"/v1/identity/merges/{merge_id}/undo")
        else:
            record = IdentityService(target, settings).unmerge(merge_id, actor=CLI_ACTOR)
            data = record.model_dump(mode="json")
    if as_json:
        _print(data, True)
    else:
        console.print(f"[green]undone[/] merge {merge_id}: profile {data['loser_id']} restored")
