"""`unicx segments …`: define, check, preview, list, members, export, refresh, templates.

Every command runs the segment service on the workspace, or calls the same API endpoint when a
server holds the workspace. Definition files are YAML or JSON (docs/segments.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli.client import (
    Client,
    Operation,
    RemoteClient,
    Request,
    api,
    open_client,
    run,
    run_plain,
)
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.config import Settings
from unicx.errors import NotFoundError
from unicx.segments.export import export_members
from unicx.segments.files import read_definition, read_segment, segment_files
from unicx.segments.models import (
    SegmentCreate,
    SegmentDeleted,
    SegmentPublic,
    SegmentUpdate,
    SegmentUsage,
)
from unicx.segments.refresh import refresh_all
from unicx.segments.service import SegmentService
from unicx.segments.templates import TEMPLATES, create_from_template
from unicx.store import Store

app = typer.Typer(help="Segments: define, preview, members, export, refresh.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(exists=True, help="A YAML or JSON definition file.")]
SegmentArg = Annotated[str, typer.Argument(help="Segment id or name.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict/--allow-unseen", help="Unknown events are errors.")
]


def _op(local: Callable[[SegmentService], Any], remote: Request[Any]) -> Operation[Any]:
    """An operation whose local side is a method of the segment service."""
    return Operation(lambda store, settings: local(SegmentService(store, settings)), remote)


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False))


def _show(segments: list[dict[str, Any]]) -> None:
    table = Table("id", "name", "kind", "version", "size", "description")
    for s in segments:
        table.add_row(
            s["segment_id"], s["name"], s["kind"], str(s["version"]), f"{s['size']:,}",
            s["description"],
        )  # fmt: skip
    console.print(table)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Active segments and their sizes."""
    data = run_plain(workspace, _op(lambda svc: svc.all(), api("GET", "/v1/segments")))
    _echo(data) if as_json else _show(data)


@app.command("show")
@reports_errors
def show(workspace: WorkspaceOpt, segment: SegmentArg) -> None:
    """One segment with its definition (JSON)."""
    op = _op(lambda svc: svc.get(segment), api("GET", f"/v1/segments/{segment}"))
    _echo(run_plain(workspace, op))


@app.command("validate")
@reports_errors
def validate(workspace: WorkspaceOpt, file: FileArg, strict: StrictOpt = True) -> None:
    """Check a definition file against the workspace and print the compiled SQL."""
    definition = read_definition(file)
    req = api(
        "POST",
        "/v1/segments/validate",
        json={"definition": definition},
        params={"strict": strict},
    )
    data = run_plain(workspace, _op(lambda svc: svc.validate(definition, strict=strict), req))
    for w in data["warnings"]:
        console.print(f"[yellow]warning[/] {w['field']}: {w['message']}", highlight=False)
    console.print("[green]valid[/]")
    typer.echo(data["sql"])


@app.command("preview")
@reports_errors
def preview(
    workspace: WorkspaceOpt, file: FileArg, strict: StrictOpt = True, as_json: JsonOpt = False
) -> None:
    """How many people a definition matches now, with a sample; nothing is saved."""
    definition = read_definition(file)
    req = api(
        "POST",
        "/v1/segments/preview",
        json={"definition": definition},
        params={"strict": strict},
    )
    data = run_plain(workspace, _op(lambda svc: svc.preview(definition, strict=strict), req))
    if as_json:
        _echo(data)
        return
    console.print(f"[bold]{data['count']:,}[/] people match ({data['seconds']:.2f} s)")
    if data["sample"]:
        table = Table(*data["sample"][0])
        for row in data["sample"]:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)


@app.command("apply")
@reports_errors
def apply(
    workspace: WorkspaceOpt,
    path: Annotated[Path, typer.Argument(exists=True, help="A segment file or a directory.")],
    strict: StrictOpt = True,
) -> None:
    """Create or update segments from YAML/JSON files (name, description, definition)."""
    with open_client(settings_for(workspace)) as client:
        for file in segment_files(path):
            data = _apply_one(client, read_segment(file), strict)
            console.print(
                f"[green]✓[/] {data['name']}: version {data['version']}, {data['size']:,}"
            )


def _apply_one(client: Client, body: SegmentCreate, strict: bool) -> dict[str, Any]:
    """Update the segment of that name, or create it."""
    patch = SegmentUpdate(description=body.description, definition=body.definition)
    params = {"strict": strict}
    try:
        found = client.run(
            _op(
                lambda svc: svc.get(body.name),
                api("GET", f"/v1/segments/{body.name}", SegmentPublic),
            )
        )
    except NotFoundError:
        create = api("POST", "/v1/segments", json=body.model_dump(), params=params)
        created: dict[str, Any] = client.plain(
            _op(lambda svc: svc.create(body, strict=strict), create)
        )
        return created
    sid = found.segment_id
    update = api(
        "PATCH", f"/v1/segments/{sid}", json=patch.model_dump(exclude_none=True), params=params
    )
    updated: dict[str, Any] = client.plain(
        _op(lambda svc: svc.update(sid, patch, strict=strict), update)
    )
    return updated


@app.command("delete")
@reports_errors
def delete(
    workspace: WorkspaceOpt,
    segment: SegmentArg,
    force: Annotated[
        bool, typer.Option("--force", help="Delete even if journeys, offers or audiences use it")
    ] = False,
) -> None:
    """Retire a segment (refused while other segments, journeys, offers or audience syncs use
    it; --force deletes anyway unless a segment does, and lists who used it)."""
    for u in run(workspace, _delete(segment, force=force)):
        console.print(f"[yellow]was used by[/] {u.kind} {u.name} ({u.id})", highlight=False)
    console.print(f"deleted {segment}")


def _delete(segment: str, *, force: bool) -> Operation[list[SegmentUsage]]:
    """The segments, journeys, offers and syncs that used it (answered only with force)."""
    req = api("DELETE", f"/v1/segments/{segment}", params={"force": True} if force else None)

    def remote(client: RemoteClient) -> list[SegmentUsage]:
        res = client.send(req)  # 204 without force, 200 with who used it
        return SegmentDeleted.model_validate_json(res.content).used_by if res.content else []

    return Operation(
        lambda store, settings: SegmentService(store, settings).delete(segment, force=force), remote
    )


@app.command("members")
@reports_errors
def members(
    workspace: WorkspaceOpt,
    segment: SegmentArg,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
    traits: Annotated[str, typer.Option(help="Comma-separated trait names.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """A page of members with chosen traits."""
    names = [t.strip() for t in traits.split(",") if t.strip()]
    params: dict[str, Any] = {"limit": limit, "traits": traits or None, "cursor": cursor}
    req = api(
        "GET",
        f"/v1/segments/{segment}/members",
        params={k: v for k, v in params.items() if v is not None},
    )
    op = _op(lambda svc: svc.members(segment, limit=limit, cursor=cursor, traits=names), req)
    data = run_plain(workspace, op)
    if as_json:
        _echo(data)
        return
    table = Table("profile_id", "entered_at", *names)
    for m in data["members"]:
        values = [json.dumps(m["traits"].get(n), ensure_ascii=False) for n in names]
        table.add_row(m["profile_id"], str(m["entered_at"]), *values)
    console.print(table)
    console.print(f"{data['size']:,} members" + (f"; next: --cursor {data['next_cursor']}"
                  if data["next_cursor"] else ""))  # fmt: skip


@app.command("export")
@reports_errors
def export(
    workspace: WorkspaceOpt,
    segment: SegmentArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or hashed")] = "csv",
    traits: Annotated[str, typer.Option(help="Comma-separated trait names.")] = "",
) -> None:
    """Write the members to a file (hashed: SHA-256 e-mails/phones for ad platforms)."""
    names = [t.strip() for t in traits.split(",") if t.strip()]
    params = {"format": fmt, **({"traits": traits} if traits else {})}
    req = api("GET", f"/v1/segments/{segment}/export", params=params)

    def local(store: Store, settings: Settings) -> bytes:
        return export_members(store, settings, segment, fmt=fmt, traits=names)[0]

    data = run(workspace, Operation(local, lambda client: client.send(req).content))
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data):,} bytes)")


@app.command("refresh")
@reports_errors
def refresh(
    workspace: WorkspaceOpt,
    segments: Annotated[
        list[str] | None, typer.Argument(help="Ids or names (default: all)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-evaluate segments in full now (normally ingest and the scheduler keep them current)."""

    def local(svc: SegmentService) -> Any:
        ids = [svc.get(s).segment_id for s in segments] if segments else None
        return refresh_all(svc.store, svc.settings, segment_ids=ids)

    req = api("POST", "/v1/segments/refresh", params={"segment": segments or []})
    with console.status("refreshing segments…"):
        data = run_plain(workspace, _op(local, req))
    if as_json:
        _echo(data)
        return
    console.print(
        f"refreshed {data['segments']} segments in {data['seconds']:.2f} s: "
        f"{data['entered']:,} entered, {data['exited']:,} exited"
    )


@app.command("templates")
@reports_errors
def templates(
    workspace: WorkspaceOpt,
    create: Annotated[str | None, typer.Option(help="Save this template as a segment.")] = None,
) -> None:
    """List the built-in lifecycle templates, or save one (--create KEY)."""
    if create is None:
        table = Table("key", "title", "description")
        for t in TEMPLATES:
            table.add_row(t.key, t.title, t.description)
        console.print(table)
        return
    req = api("POST", f"/v1/segments/templates/{create}")
    data = run_plain(workspace, _op(lambda svc: create_from_template(svc, create), req))
    console.print(f"[green]created[/] {data['name']} ({data['segment_id']}): {data['size']:,}")


def _personas(store: Store, settings: Settings, *, k: int, seed: int) -> Any:
    # scikit-learn takes seconds to import: only the commands that fit a model pay for it.
    from unicx.segments.personas import build_personas

    return build_personas(store, settings, k=k, seed=seed)


def _lookalike(store: Store, settings: Settings, seed: str, **options: Any) -> Any:
    from unicx.predict.lookalike import build_lookalike

    return build_lookalike(store, settings, seed, **options)


@app.command("personas")
@reports_errors
def personas(
    workspace: WorkspaceOpt,
    k: Annotated[int, typer.Option("--k", min=2, max=20, help="Number of personas.")] = 5,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Cluster buyers into k personas (k-means on RFM + category mix), one segment each."""
    with console.status(f"clustering buyers into {k} personas…"):
        req = api("POST", "/v1/segments/personas", params={"k": k, "seed": seed})
        op = Operation(lambda store, settings: _personas(store, settings, k=k, seed=seed), req)
        data = run_plain(workspace, op)
    if as_json:
        _echo(data)
        return
    table = Table("persona", "size", "description")
    for p in data["personas"]:
        table.add_row(p["name"], f"{p['size']:,}", p["description"])
    console.print(table)
    console.print(
        f"{data['profiles']:,} buyers, {data['algorithm']}, {data['seconds']:.1f} s "
        f"(model {data['model_version']})"
    )


@app.command("lookalike")
@reports_errors
def lookalike(
    workspace: WorkspaceOpt,
    seed: SegmentArg,
    top: Annotated[int | None, typer.Option(min=1, help="Audience size in people.")] = None,
    top_percent: Annotated[
        float | None, typer.Option(help="Audience size in % of everyone outside the seed.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name of the new segment.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save the people who behave most like a seed segment as a new segment (--top N or
    --top-percent X), and show how well held-out seed members are recovered."""
    body = {"top": top, "top_percent": top_percent, "name": name}
    with console.status(f"scoring lookalikes of {seed}…"):
        req = api(
            "POST",
            f"/v1/segments/{seed}/lookalike",
            json={k: v for k, v in body.items() if v is not None},
        )
        op = Operation(
            lambda store, settings: _lookalike(
                store, settings, seed, top=top, top_percent=top_percent, name=name
            ),
            req,
        )
        data = run_plain(workspace, op)
    if as_json:
        _echo(data)
        return
    rec = data["recovery"]
    console.print(
        f"[green]created[/] {data['segment']['name']} ({data['segment']['segment_id']}): "
        f"{data['size']:,} of {data['candidates']:,} people, {data['trait']} >= "
        f"{data['threshold']:.4f}"
    )
    console.print(
        f"held-out seed members recovered: {rec['recall_at_top']:.0%} "
        f"(random {rec['random_recall']:.0%}), AUC {rec['auc']:.3f} on {rec['holdout']} held out"
    )
