"""`unicx identity …`: rebuild, resolve now, list merges and conflicts, undo a merge.

Works on the workspace directly, or through the running server that holds it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli import identity_match
from unicx.cli.client import Operation, api, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
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
    op = Operation(
        lambda store, settings: IdentityService(store, settings).rebuild().summary(),
        api("POST", "/v1/identity/rebuild"),
    )
    with console.status("rebuilding identity graph…"):
        data = run_plain(workspace, op)
    _print(data, as_json)


@app.command("resolve")
@reports_errors
def resolve(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Resolve events not yet resolved (the server does this continuously)."""
    op = Operation(
        lambda store, settings: update_profiles(store, settings).summary(),
        api("POST", "/v1/identity/resolve"),
    )
    data = run_plain(workspace, op)
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
    params: dict[str, Any] = {"limit": limit} | ({"profile_id": profile_id} if profile_id else {})
    op = Operation(
        lambda store, settings: IdentityService(store, settings).list_merges(
            profile_id=profile_id, limit=limit
        ),
        api("GET", "/v1/identity/merges", params=params),
    )
    rows = run_plain(workspace, op)
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
    op = Operation(
        lambda store, settings: IdentityService(store, settings).list_conflicts(
            status=status, limit=limit
        ),
        api("GET", "/v1/identity/conflicts", params={"status": status, "limit": limit}),
    )
    rows = run_plain(workspace, op)
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
    op = Operation(
        lambda store, settings: IdentityService(store, settings).unmerge(merge_id, actor=CLI_ACTOR),
        api("POST", f"/v1/identity/merges/{merge_id}/undo"),
    )
    data = run_plain(workspace, op)
    if as_json:
        _print(data, True)
    else:
        console.print(f"[green]undone[/] merge {merge_id}: profile {data['loser_id']} restored")
