"""`unicx` command line entry point.

Forms relied on by scripts: ``unicx init --workspace DIR [--json]`` and
``unicx serve --workspace DIR --host H --port N``; every command reads UNICX_WORKSPACE.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from unicx.cli import (
    audiences,
    common,
    demo,
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
    users,
)
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.config import Settings
from unicx.workspace import (
    CONSENT_MODELS,
    DEFAULT_ADMIN_EMAIL,
    configured_consent_model,
    init_workspace,
)

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
app.add_typer(users.app, name="users")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("train")(train.train)


class ConsentModel(StrEnum):
    opt_in = "opt-in"
    opt_out = "opt-out"


ConsentOpt = Annotated[
    ConsentModel | None,
    typer.Option(
        "--consent-model",
        help="opt-in (default): personalize only people who granted the personalization "
        "consent; opt-out: everyone unless they withdrew it. Asked when not given and the "
        "terminal is interactive.",
    ),
]
CONSENT_QUESTION = (
    "Personalization consent model: opt-in = only people who granted it get personalized "
    "recommendations and offers (GDPR-style, the default); opt-out = everyone unless they "
    "withdrew it (check your local law); opt-in or opt-out?"
)


def _ask_consent_model(settings: Settings, given: ConsentModel | None, *, as_json: bool) -> str:
    if given is not None:
        return str(given.value)
    configured = configured_consent_model(settings)
    if configured is not None:
        return configured  # the workspace's unicx.toml decided already
    if as_json or not sys.stdin.isatty():
        return "opt-in"  # scripts: the safe default, printed in the result
    while True:  # typer bundles its own click: a plain prompt, the answer checked here
        answer = str(typer.prompt(CONSENT_QUESTION, default="opt-in")).strip().lower()
        if answer in CONSENT_MODELS:
            return answer
        common.err_console.print(f"answer {' or '.join(CONSENT_MODELS)}")


@app.command("init")
@reports_errors
def init(
    workspace: WorkspaceOpt,
    as_json: JsonOpt = False,
    source_name: Annotated[str, typer.Option(help="Name of the first source.")] = "default",
    consent_model: ConsentOpt = None,
    admin_email: Annotated[
        str, typer.Option(help="E-mail of the first dashboard user (an admin).")
    ] = DEFAULT_ADMIN_EMAIL,
) -> None:
    """Create a workspace with its first source; print its write key, an admin secret key and
    the first dashboard user's e-mail and password."""
    settings = settings_for(workspace)
    model = _ask_consent_model(settings, consent_model, as_json=as_json)
    result = init_workspace(
        settings, source_name=source_name, consent_model=model, admin_email=admin_email
    )
    if as_json:
        typer.echo(json.dumps(result.__dict__))
        return
    console.print(f"[green]created workspace[/] {result.workspace}")
    console.print(f"consent     {result.consent_model} (personalization; in unicx.toml)")
    console.print(f"source      {result.source_id}")
    console.print(f"write key   [bold]{result.write_key}[/]  (HTTP Basic user name for /v1/*)")
    console.print(f"secret key  [bold]{result.secret_key}[/]  (admin; shown once, store it now)")
    console.print(f"dashboard   {result.dashboard_email}  (admin)")
    console.print(f"password    [bold]{result.dashboard_password}[/]  (shown once, store it now)")


if __name__ == "__main__":
    app()
