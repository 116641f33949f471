"""`unicx` command line entry point.

Forms relied on by scripts: ``unicx init --workspace DIR [--json]`` and
``unicx serve --workspace DIR --host H --port N``; every command reads UNICX_WORKSPACE.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from unicx.cli import (
    audiences,
    events,
    identity,
    imports,
    journeys,
    keys,
    messaging,
    offers,
    privacy,
    profiles,
    recommend,
    reports,
    segments,
    serve,
    sources,
    train,
    traits,
)
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.workspace import init_workspace

app = typer.Typer(
    name="unicx",
    help="unicx customer data platform.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(sources.app, name="sources")
app.add_typer(keys.app, name="keys")
app.add_typer(events.app, name="events")
app.add_typer(imports.app, name="import")
app.add_typer(profiles.app, name="profiles")
app.add_typer(identity.app, name="identity")
app.add_typer(traits.app, name="traits")
app.add_typer(segments.app, name="segments")
app.add_typer(audiences.app, name="audiences")
app.add_typer(journeys.app, name="journeys")
app.add_typer(messaging.app, name="messaging")
app.add_typer(reports.app, name="reports")
app.add_typer(train.models_app, name="models")
app.add_typer(recommend.catalog_app, name="catalog")
app.add_typer(recommend.app, name="recommend")
app.add_typer(offers.app, name="offers")
app.add_typer(privacy.audit_app, name="audit")
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("train")(train.train)


@app.command("init")
@reports_errors
def init(
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
    source_name: Annotated[str, typer.Option(help="Name of the first source.")] = "default",
) -> None:
    """Create a workspace with its first source; print its write key and an admin secret key."""
    result = init_workspace(settings_for(workspace), source_name=source_name)
    if as_json:
        typer.echo(json.dumps(result.__dict__))
        return
    console.print(f"[green]created workspace[/] {result.workspace}")
    console.print(f"source      {result.source_id}")
    console.print(f"write key   [bold]{result.write_key}[/]  (HTTP Basic user name for /v1/*)")
    console.print(f"secret key  [bold]{result.secret_key}[/]  (admin; shown once, store it now)")


if __name__ == "__main__":
    app()
