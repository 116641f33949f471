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
from pydantic import BaseModel
from rich.table import Table

from unicx.cli.backend import RemoteBackend, open_target
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.config import Settings
from unicx.errors import NotFoundError
from unicx.segments.export import export_members
from unicx.segments.files import read_definition, read_segment, segment_files
from unicx.segments.models import SegmentCreate, SegmentDeleted, SegmentUpdate
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


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _run(
    workspace: Path,
    local: Callable[[Store, SegmentService], Any],
    method: str,
    path: str,
    **kwargs: Any,
) -> Any:
    """``local`` on the workspace, or the API call when a server holds it; plain JSON back."""
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            return target.call(method, path, **kwargs)
        return _plain(local(target, SegmentService(target, settings)))


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
    data = _run(workspace, lambda _, svc: svc.all(), "GET", "/v1/segments")
    _echo(data) if as_json else _show(data)


@app.command("show")
@reports_errors
def show(workspace: WorkspaceOpt, segment: SegmentArg) -> None:
    """One segment with its definition (JSON)."""
    _echo(_run(workspace, lambda _, svc: svc.get(segment), "GET", f"/v1/segments/{segment}"))


@app.command("validate")
@reports_errors
def validate(workspace: WorkspaceOpt, file: FileArg, strict: StrictOpt = True) -> None:
    """Check a definition file against the workspace and print the compiled SQL."""
    definition = read_definition(file)
    data = _run(
        workspace,
        lambda _, svc: svc.validate(definition, strict=strict),
        "POST",
        "/v1/segments/validate",
        json={"definition": definition},
        params={"strict": strict},
    )
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
    data = _run(
        workspace,
        lambda _, svc: svc.preview(definition, strict=strict),
        "POST",
        "/v1/segments/preview",
        json={"definition": definition},
        params={"strict": strict},
    )
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
    settings = settings_for(workspace)
    with open_target(settings) as target:
        for file in segment_files(path):
            data = _apply_one(target, settings, read_segment(file), strict)
            console.print(
                f"[green]✓[/] {data['name']}: version {data['version']}, {data['size']:,}"
            )


def _apply_one(
    target: Store | RemoteBackend, settings: Settings, body: SegmentCreate, strict: bool
) -> dict[str, Any]:
    """Update the segment of that name, or create it."""
    patch = SegmentUpdate(description=body.description, definition=body.definition)
    if isinstance(target, RemoteBackend):
        params = {"strict": strict}
        try:
            sid = target.call("GET", f"/v1/segments/{body.name}")["segment_id"]
        except NotFoundError:
            created: dict[str, Any] = target.call(
                "POST", "/v1/segments", json=body.model_dump(), params=params
            )
            return created
        patched = patch.model_dump(exclude_none=True)
        updated: dict[str, Any] = target.call(
            "PATCH", f"/v1/segments/{sid}", json=patched, params=params
        )
        return updated
    svc = SegmentService(target, settings)
    try:
        result = svc.update(svc.get(body.name).segment_id, patch, strict=strict)
    except NotFoundError:
        result = svc.create(body, strict=strict)
    plain: dict[str, Any] = _plain(result)
    return plain


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
    settings = settings_for(workspace)
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend) and force:
            answer = target.call("DELETE", f"/v1/segments/{segment}", params={"force": True})
            users = SegmentDeleted.model_validate(answer).used_by
        elif isinstance(target, RemoteBackend):
            target.client.delete(f"/v1/segments/{segment}").raise_for_status()
            users = []
        else:
            users = SegmentService(target, settings).delete(segment, force=force)
    for u in users:
        console.print(f"[yellow]was used by[/] {u.kind} {u.name} ({u.id})", highlight=False)
    console.print(f"deleted {segment}")


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
    data = _run(
        workspace,
        lambda _, svc: svc.members(segment, limit=limit, cursor=cursor, traits=names),
        "GET",
        f"/v1/segments/{segment}/members",
        params={k: v for k, v in params.items() if v is not None},
    )
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
    settings = settings_for(workspace)
    names = [t.strip() for t in traits.split(",") if t.strip()]
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            params = {"format": fmt, **({"traits": traits} if traits else {})}
            res = target.client.get(f"/v1/segments/{segment}/export", params=params)
            res.raise_for_status()
            data = res.content
        else:
            data, _, _ = export_members(target, settings, segment, fmt=fmt, traits=names)
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

    def local(store: Store, svc: SegmentService) -> Any:
        ids = [svc.get(s).segment_id for s in segments] if segments else None
        return refresh_all(store, svc.settings, segment_ids=ids)

    with console.status("refreshing segments…"):
        data = _run(
            workspace, local, "POST", "/v1/segments/refresh", params={"segment": segments or []}
        )
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
    data = _run(
        workspace,
        lambda _, svc: create_from_template(svc, create),
        "POST",
        f"/v1/segments/templates/{create}",
    )
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
        data = _run(
            workspace,
            lambda store, svc: _personas(store, svc.settings, k=k, seed=seed),
            "POST",
            "/v1/segments/personas",
            params={"k": k, "seed": seed},
        )
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
        data = _run(
            workspace,
            lambda store, svc: _lookalike(
                store, svc.settings, seed, top=top, top_percent=top_percent, name=name
            ),
            "POST",
            f"/v1/segments/{seed}/lookalike",
            json={k: v for k, v in body.items() if v is not None},
        )
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
