"""`unicx journeys …`: list, show, create, update, validate, simulate, publish, pause, resume,
archive, migrate, stats.

Every command runs the journey service on the workspace, or calls the same API endpoint when
a server holds the workspace. Definition files are YAML or JSON (docs/journeys.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar
from urllib.parse import quote

import typer
import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from rich.markup import escape
from rich.table import Table

from unicx.channels.config import pydantic_issues
from unicx.cli.backend import RemoteBackend, open_target
from unicx.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    reports_errors,
    settings_for,
)
from unicx.config import Settings
from unicx.errors import (
    AuthError,
    ConflictError,
    FieldIssue,
    NotFoundError,
    PermissionDeniedError,
    UnicxError,
    ValidationError,
)
from unicx.journeys.analytics import journey_stats
from unicx.journeys.service import JourneyService
from unicx.journeys.simulate import SimulationRequest, simulate
from unicx.store import Store

app = typer.Typer(help="Journeys: define, simulate, publish, pause, stats.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON file.")]
JourneyArg = Annotated[str, typer.Argument(help="Journey id or name.")]
MAX_FILE_BYTES = 1024 * 1024
P = ParamSpec("P")
R = TypeVar("R")

# -- files ------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML read with JSON's meaning: no aliases (a small file could expand into
    gigabytes) and YAML 1.2 scalars only, because YAML 1.1 reads a condition's ``no:`` key as
    false, ``10:30`` as 630 and ``2024-06-01`` as a date."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's class attribute)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed")
        return super().compose_node(parent, index)


for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    (
        "float",
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$",
        list("-+0123456789."),
    ),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _fail(path: Path, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{path.name}: {message}", issues=[FieldIssue(path.name, rule, message)])


def read_tree(path: Path, *, what: str) -> dict[str, Any]:
    """A YAML/JSON file holding one object (``what`` names it in errors), as plain JSON
    values so the local service and the API see the same thing."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _fail(path, "too_large", f"larger than {MAX_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, _Loader)
        # Explicit tags (!!binary, !!set, complex keys) have no JSON form: refuse them here.
        data = json.loads(json.dumps(data, allow_nan=False))
    except UnicodeDecodeError:
        raise _fail(path, "encoding", "not UTF-8 text") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _fail(path, "syntax", f"not valid YAML/JSON: {str(exc)[:300]}") from None
    except (TypeError, ValueError) as exc:
        raise _fail(path, "type", f"holds values JSON cannot: {str(exc)[:200]}") from None
    except RecursionError:
        raise _fail(path, "too_deep", "nested too deeply") from None
    if not isinstance(data, dict):
        raise _fail(path, "structure", f"expected {what} (an object)")
    return data


def _definition(path: Path) -> dict[str, Any]:
    data = read_tree(path, what="a journey definition with name, entry, start and nodes")
    # The API's body form {definition: {...}} is accepted too.
    inner = data.get("definition")
    return inner if isinstance(inner, dict) and "nodes" not in data else data


# -- local or remote --------------------------------------------------------------------------

_STATUS = {401: AuthError, 403: PermissionDeniedError, 404: NotFoundError, 409: ConflictError}


def shows_issues(fn: Callable[P, R]) -> Callable[P, R]:
    """Like reports_errors, and every issue of a ValidationError on its own line (the
    message names only the first few)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}")
            for i in exc.issues:
                if f"{i.field}: {i.message}" not in exc.message:
                    err_console.print(f"  {escape(i.field)}: {escape(i.message)}")
            raise typer.Exit(1) from None

    return wrapper


def remote_call(target: RemoteBackend, method: str, path: str, **kwargs: Any) -> Any:
    """One API request; like RemoteBackend.call, but a 400 keeps its issues (validate lists
    every one of them)."""
    res = target.client.request(method, path, **kwargs)
    if res.status_code < 400:
        return res.json()
    try:
        body = res.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"message": res.text}
    message = str(body.get("message", res.text))
    if res.status_code in (400, 413, 415, 422):
        issues = [
            FieldIssue(str(i.get("field", "")), str(i.get("rule", "")), str(i.get("message", "")))
            for i in body.get("issues") or []
            if isinstance(i, dict)
        ]
        raise ValidationError(message, issues=issues)
    raise _STATUS.get(res.status_code, UnicxError)(message)


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()  # its datetimes come back here: isoformat, as before
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def plain(value: Any) -> Any:
    """What the API would answer: JSON values only."""
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def run_on(
    workspace: Path, local: Callable[[Store, Settings], Any], method: str, path: str, **kw: Any
) -> Any:
    """``local`` on the workspace, or the API call when a server holds it; plain JSON back."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            return remote_call(target, method, path, **kw)
        return plain(local(target, settings))


def echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


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
    data = run_on(
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
        run_on(
            workspace,
            lambda store, settings: _svc(store, settings).get(journey),
            "GET",
            _path(journey),
        )
    )


def _saved(data: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        echo(data)
        return
    console.print(
        f"{verb} {data['name']} ({data['journey_id']}): {data['status']}, "
        f"version {data['latest_version']}",
        highlight=False,
    )
    published = data["published_version"]
    if data["status"] != "archived" and published != data["latest_version"]:
        now = "nobody enters yet" if published is None else f"new entrants get version {published}"
        console.print(f"{now}; publish with: unicx journeys publish {data['journey_id']}")


@app.command("create")
@reports_errors
@shows_issues
def create(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Save a definition as a new draft journey (version 1); prints its id."""
    raw = _definition(file)
    data = run_on(
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
    data = run_on(
        workspace,
        lambda store, settings: _svc(store, settings).update(journey, raw, now=_now()),
        "PUT",
        _path(journey),
        json={"definition": raw},
    )
    _saved(data, as_json, "saved")


def _node(field: str) -> str:
    parts = field.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "nodes" else "-"


@app.command("validate")
@reports_errors
def validate(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Check a definition (graph, channels, templates, segments) without saving it; every
    problem is printed with its node and path, and the exit code is 1 if there is any."""
    raw = _definition(file)
    try:
        data = run_on(
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
                    f"[red]✗[/] node {_node(i.field)}  {i.field}: {i.message} [dim]({i.rule})[/]",
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
        data = run_on(
            workspace,
            lambda store, settings: simulate(store, settings, req, now=_now()),
            "POST",
            "/v1/journeys/simulate",
            json=req.model_dump(exclude_none=True),
        )
    if as_json:
        echo(data)
        return
    _show_simulation(data)


def _outcomes(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items(), key=lambda kv: -kv[1]))


def _show_simulation(data: dict[str, Any]) -> None:
    table = Table("node", "reached", "outcomes")
    for node, n in data["nodes"].items():
        table.add_row(node, f"{n['reached']:,}", _outcomes(n["outcomes"]))
    console.print(table)
    console.print(
        f"{data['people']:,} people over {data['days']:g} days: {data['in_progress']:,} still "
        f"in, {data['converted']:,} converted (nothing was sent)",
        highlight=False,
    )
    console.print(f"exits: {_outcomes(data['exits']) or 'none'}", highlight=False)
    console.print(f"messages: {_outcomes(data['messages']) or 'none'}", highlight=False)


def _status_command(name: str, verb: str, status: str | None) -> None:
    def command(workspace: WorkspaceOpt, journey: JourneyArg, as_json: JsonOpt = False) -> None:
        def local(store: Store, settings: Settings) -> Any:
            if status is None:
                return _svc(store, settings).publish(journey, now=_now())
            return _svc(store, settings).set_status(journey, status, now=_now())

        data = run_on(workspace, local, "POST", _path(journey, f"/{name}"))
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
    data = run_on(
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
    data = run_on(
        workspace, lambda store, _: journey_stats(store, journey), "GET", _path(journey, "/stats")
    )
    if as_json:
        echo(data)
        return
    console.print(
        f"[bold]{data['name']}[/] ({data['journey_id']}, {data['status']}): "
        f"{data['entered']:,} entered, {data['in_progress']:,} in progress, "
        f"{data['holdout']:,} holdout, {data['converted']:,} converted",
        highlight=False,
    )
    console.print(f"exits: {_outcomes(data['exits']) or 'none'}", highlight=False)
    if data["nodes"]:
        nodes = Table("node", "visits", "outcomes (people)", "now here")
        for node, n in data["nodes"].items():
            here = str(n.get("now_here", 0))
            nodes.add_row(node, f"{n['visits']:,}", _outcomes(n["outcomes"]), here)
        console.print(nodes)
    for channel, by_status in data["messages"].items():
        console.print(f"{channel} messages: {_outcomes(by_status)}", highlight=False)
    if data["engagement"]:
        console.print(f"engagement: {_outcomes(data['engagement'])}", highlight=False)
    _show_goal(data["goal"])
    for st in data["stages"]:
        console.print(
            f"stage {st['stage']}: {st['people']:,} people, {st['converted']:,} converted",
            highlight=False,
        )


def _rate(group: dict[str, Any]) -> str:
    rate = group["rate"]
    shown = "-" if rate is None else f"{rate:.1%}"
    return f"{group['converted']:,}/{group['people']:,} ({shown})"


def _show_goal(goal: dict[str, Any]) -> None:
    console.print(
        f"goal: messaged {_rate(goal['messaged'])} vs holdout {_rate(goal['holdout'])}",
        highlight=False,
    )
    uplift = goal["uplift"]
    if uplift is None:
        console.print("uplift: needs people in both groups", highlight=False)
    else:
        low, high = uplift["ci95"]
        verdict = "significant" if uplift["significant"] else "not significant"
        console.print(
            f"uplift: {uplift['difference']:+.1%} (95 % CI {low:+.1%} to {high:+.1%}, {verdict})",
            highlight=False,
        )
    if goal["median_time_to_convert_s"] is not None:
        hours = goal["median_time_to_convert_s"] / 3600
        console.print(f"median time to convert: {hours:.1f} h", highlight=False)
