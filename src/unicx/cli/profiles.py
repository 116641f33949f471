"""`unicx profiles …`: look a person up by any identifier, show a profile and its timeline."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from unicx.cli import privacy
from unicx.cli.client import Operation, api, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.identity.models import BUILTIN_TYPES
from unicx.profiles.service import ProfileService

app = typer.Typer(help="The single customer view.", no_args_is_help=True)
privacy.register(app)


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))


@app.command("lookup")
@reports_errors
def lookup(
    workspace: WorkspaceOpt,
    id_type: Annotated[str, typer.Argument(help="user_id, email, phone, anonymous_id, …")],
    value: Annotated[str, typer.Argument()],
) -> None:
    """The profile holding an identifier (email and phone are normalized first)."""
    builtin = id_type in BUILTIN_TYPES
    params = {id_type: value} if builtin else {"type": id_type, "value": value}
    op = Operation(
        lambda store, _: ProfileService(store).lookup(id_type, value),
        api("GET", "/v1/profiles/lookup", params=params),
    )
    _echo(run_plain(workspace, op))


@app.command("show")
@reports_errors
def show(workspace: WorkspaceOpt, profile_id: str) -> None:
    """Identifiers, traits and computed traits of a profile, as JSON."""
    op = Operation(
        lambda store, _: ProfileService(store).get(profile_id),
        api("GET", f"/v1/profiles/{profile_id}"),
    )
    _echo(run_plain(workspace, op))


@app.command("events")
@reports_errors
def events(
    workspace: WorkspaceOpt,
    profile_id: str,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The newest events of a profile across all its devices and sources."""
    op = Operation(
        lambda store, _: ProfileService(store).timeline(profile_id, limit=limit, before=None),
        api("GET", f"/v1/profiles/{profile_id}/events", params={"limit": limit}),
    )
    page = run_plain(workspace, op)
    for e in page["events"]:
        if as_json:
            typer.echo(json.dumps(e, ensure_ascii=False))
        else:
            what = e.get("event") or e.get("name") or ""
            who = e.get("userId") or e.get("anonymousId") or "-"
            line = f"{str(e['timestamp'])[:19]} {e['type']:<8} {what:<28} {who}"
            console.print(line, highlight=False, markup=False)
