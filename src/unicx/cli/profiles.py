"""`unicx profiles …`: look a person up by any identifier, show a profile and its timeline."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from unicx.cli import privacy
from unicx.cli.backend import RemoteBackend, open_target
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
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
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            builtin = id_type in BUILTIN_TYPES
            params = {id_type: value} if builtin else {"type": id_type, "value": value}
            data = target.call("GET", "/v1/profiles/lookup", params=params)
        else:
            data = ProfileService(target).lookup(id_type, value).model_dump(mode="json")
    _echo(data)


@app.command("show")
@reports_errors
def show(workspace: WorkspaceOpt, profile_id: str) -> None:
    """Identifiers, traits and computed traits of a profile, as JSON."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            data = target.call("GET", f"/v1/profiles/{profile_id}")
        else:
            data = ProfileService(target).get(profile_id).model_dump(mode="json")
    _echo(data)


@app.command("events")
@reports_errors
def events(
    workspace: WorkspaceOpt,
    profile_id: str,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The newest events of a profile across all its devices and sources."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            page = target.call("GET", f"/v1/profiles/{profile_id}/events", params={"limit": limit})
        else:
            found = ProfileService(target).timeline(profile_id, limit=limit, before=None)
            page = found.model_dump(mode="json")
    for e in page["events"]:
        if as_json:
            typer.echo(json.dumps(e, ensure_ascii=False))
        else:
            what = e.get("event") or e.get("name") or ""
            who = e.get("userId") or e.get("anonymousId") or "-"
            line = f"{str(e['timestamp'])[:19]} {e['type']:<8} {what:<28} {who}"
            console.print(line, highlight=False, markup=False)
