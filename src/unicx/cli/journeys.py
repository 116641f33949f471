"""`unicx journeys …`: list, show, create, update, validate, simulate, publish, pause, resume,
archive, migrate, stats.

Every command runs the journey service on the workspace, or calls the same API endpoint when
a server holds the workspace. Definition files are YAML or JSON (docs/journeys.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from unicx.channels.config import pydantic_issues
from unicx.cli.client import run_call
from unicx.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    echo,
    err_console,
    reports_errors,
    shows_issues,
)
from unicx.cli.journeys_show import node_of, show_saved, show_simulation, show_stats
from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.journeys.analytics import journey_stats
from unicx.journeys.service import JourneyService
from unicx.journeys.simulate import SimulationRequest, simulate
from unicx.store import Store
from unicx.yamlfile import read_mapping

app = typer.Typer(help="Journeys: define, simulate, publish, pause, stats.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON file.")]
JourneyArg = Annotated[str, typer.Argument(help="Journey id or name.")]


def _definition(path: Path) -> dict[str, Any]:
    data = read_mapping(path, what="a journey definition with name, entry, start and nodes")
    # The API's body form {definition: {...}} is accepted too.
    inner = data.get("definition")
    return inner if isinstance(inner, dict) and "nodes" not in data else data


def _now() -> datetime:
    return datetime.now(UTC)


def _path(ref: str, tail: str = "") -> str:
    return f"/v1/journeys/{quote(ref, safe='')}{tail}"


def _svc(store: Store, settings: Settings) -> JourneyService:
    return JourneyService(store, outbound_allow=settings.outbound_allow)


# -- commands ---------------------------------------------------------------------------------


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Every journey with its status, versions, people entered and in progress."""
    data = run_call(
        workspace, lambda store, settings: _svc(store, settings).list(), "GET", "/v1/journeys"
    )
    if as_json:
        echo(data)
        return
    table = Table("name", "status", "latest", "live", "entered", "active")
    table.add_column("id", no_wrap=True)  # last and whole: it is what the commands take
    for j in data:
        published = j["published_version"]
        table.add_row(
            j["name"], j["status"], str(j["latest_version"]),
            "-" if published is None else str(published), f"{j['entered']:,}",
            f"{j['in_progress']:,}", j["journey_id"],
        )  # fmt: skip
    console.print(table)


@app.command("show")
@reports_errors
def show(workspace: WorkspaceOpt, journey: JourneyArg, as_json: JsonOpt = True) -> None:
    """One journey with its latest definition (always JSON; --json accepted for scripts)."""
    del as_json
    echo(
        run_call(
            workspace,
            lambda store, settings: _svc(store, settings).get(journey),
            "GET",
            _path(journey),
        )
    )


@app.command("create")
@reports_errors
@shows_issues
def create(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Save a definition as a new draft journey (version 1); prints its id."""
    raw = _definition(file)
    data = run_call(
        workspace,
        lambda store, settings: _svc(store, settings).create(raw, now=_now()),
        "POST",
        "/v1/journeys",
        json={"definition": raw},
    )
    if as_json:
        echo(data)
        return
    typer.echo(data["journey_id"])  # alone on stdout, for scripts: ID=$(unicx journeys create …)
    err_console.print(f"created draft {data['name']!r}, version 1", highlight=False)


@app.command("update")
@reports_errors
@shows_issues
def update(
    workspace: WorkspaceOpt, journey: JourneyArg, file: FileArg, as_json: JsonOpt = False
) -> None:
    """Save a new version; people already in stay on theirs (see migrate)."""
    raw = _definition(file)
    data = run_call(
        workspace,
        lambda store, settings: _svc(store, settings).update(journey, raw, now=_now()),
        "PUT",
        _path(journey),
        json={"definition": raw},
    )
    show_saved(data, as_json, "saved")


@app.command("validate")
@reports_errors
def validate(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Check a definition (graph, channels, templates, segments) without saving it; every
    problem is printed with its node and path, and the exit code is 1 if there is any."""
    raw = _definition(file)
    try:
        data = run_call(
            workspace,
            lambda store, settings: _svc(store, settings).validate(raw, now=_now()),
            "POST",
            "/v1/journeys/validate",
            json={"definition": raw},
        )
    except ValidationError as exc:
        issues = exc.issues or [FieldIssue("definition", "invalid", exc.message)]
        if as_json:
            echo({"valid": False, "issues": [i.as_dict() for i in issues]})
        else:
            for i in issues:
                console.print(
                    f"[red]✗[/] node {node_of(i.field)}  {i.field}: {i.message} [dim]({i.rule})[/]",
                    highlight=False,
                )
            console.print(f"[red]{len(issues)} problem(s)[/]")
        raise typer.Exit(1) from None
    if as_json:
        echo(data)
        return
    console.print(f"[green]valid[/] {data['name']}: {data['nodes']} nodes", highlight=False)


def _event_rates(pairs: list[str]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for pair in pairs:
        name, sep, rate = pair.rpartition("=")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if not sep or not name.strip() or not 0 <= value <= 1:
            message = f"{pair!r}: expected NAME=RATE with a rate between 0 and 1"
            raise ValidationError(
                f"--event {message}", issues=[FieldIssue("event", "format", message)]
            )
        rates[name.strip()] = value
    return rates


@app.command("simulate")
@reports_errors
@shows_issues
def simulate_cmd(
    workspace: WorkspaceOpt,
    source: Annotated[str, typer.Argument(help="A definition file, or a saved journey's id/name.")],
    people: Annotated[int, typer.Option(min=1, max=100_000, help="Audience size.")] = 1000,
    days: Annotated[float, typer.Option(min=0.001, max=366, help="Simulated horizon.")] = 30,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (same seed, same result).")] = 7,
    generated: Annotated[
        bool, typer.Option(help="Made-up people instead of a sample of real profiles.")
    ] = False,
    event: Annotated[
        list[str] | None,
        typer.Option(help="NAME=RATE: share of people doing the event within the horizon."),
    ] = None,
    condition_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share answering yes (generated people).")
    ] = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """Dry run over a sample (or generated people) with a simulated clock: how many reach each
    node and why they exit. Nothing is sent or saved."""
    path = Path(source)
    body: dict[str, Any] = {
        "audience": people, "days": days, "seed": seed, "generated": generated,
        "event_rates": _event_rates(event or []), "condition_rate": condition_rate,
    }  # fmt: skip
    if path.is_file():
        body["definition"] = _definition(path)
    elif path.suffix.lower() in (".yaml", ".yml", ".json"):
        raise ValidationError(f"no file {source!r}", issues=[FieldIssue("file", "missing", source)])
    else:
        body["journey"] = source
    try:
        req = SimulationRequest.model_validate(body)
    except PydanticValidationError as exc:
        issues = pydantic_issues(exc, "simulation")
        raise ValidationError(f"{issues[0].field}: {issues[0].message}", issues=issues) from None
    with console.status("simulating…"):
        data = run_call(
            workspace,
            lambda store, settings: simulate(store, settings, req, now=_now()),
            "POST",
            "/v1/journeys/simulate",
            json=req.model_dump(exclude_none=True),
        )
    if as_json:
        echo(data)
        return
    show_simulation(data)


def _status_command(name: str, verb: str, status: str | None) -> None:
    def command(workspace: WorkspaceOpt, journey: JourneyArg, as_json: JsonOpt = False) -> None:
        def local(store: Store, settings: Settings) -> Any:
            if status is None:
                return _svc(store, settings).publish(journey, now=_now())
            return _svc(store, settings).set_status(journey, status, now=_now())

        data = run_call(workspace, local, "POST", _path(journey, f"/{name}"))
        if as_json:
            echo(data)
            return
        version = data["published_version"]
        console.print(
            f"{verb} {data['name']} ({data['journey_id']}): {data['status']}"
            + (f", version {version}" if version is not None else ""),
            highlight=False,
        )

    command.__doc__ = {
        "publish": "Let people in on the latest version (re-validated against the workspace).",
        "pause": "Nobody enters or moves on; waits keep their due time.",
        "resume": "Continue a paused journey.",
        "archive": "End it: everyone still in exits (archived), queued messages are cancelled.",
    }[name]
    app.command(name)(reports_errors(command))


_status_command("publish", "published", None)
_status_command("pause", "paused", "paused")
_status_command("resume", "resumed", "published")
_status_command("archive", "archived", "archived")


@app.command("migrate")
@reports_errors
def migrate(
    workspace: WorkspaceOpt,
    journey: JourneyArg,
    from_version: Annotated[int, typer.Option("--from", min=1, help="Version people are on.")],
    to_version: Annotated[
        int | None, typer.Option("--to", min=1, help="Target version (default: published).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move people in progress on one version to another, keeping their node."""
    body = {"from_version": from_version, "to_version": to_version}
    data = run_call(
        workspace,
        lambda store, settings: _svc(store, settings).migrate(
            journey, from_version=from_version, to_version=to_version, now=_now()
        ),
        "POST",
        _path(journey, "/migrate"),
        json={k: v for k, v in body.items() if v is not None},
    )
    if as_json:
        echo(data)
        return
    stayed = data["stayed"]
    console.print(
        f"moved {data['moved']:,} people to version {data['to_version']}"
        + (f"; {stayed:,} stayed on version {from_version} (their node is not in it)" if stayed
           else ""),
        highlight=False,
    )  # fmt: skip


@app.command("stats")
@reports_errors
def stats(workspace: WorkspaceOpt, journey: JourneyArg, as_json: JsonOpt = False) -> None:
    """Entered, in progress, exits, per-node visits, messages per channel and status, goal
    conversion vs holdout with the uplift's 95 % interval, and the same per stage."""
    data = run_call(
        workspace, lambda store, _: journey_stats(store, journey), "GET", _path(journey, "/stats")
    )
    if as_json:
        echo(data)
        return
    show_stats(data)
