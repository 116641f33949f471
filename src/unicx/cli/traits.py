"""`unicx traits …`: refresh computed traits, list them, add/remove/validate custom traits.

Commands that need the database run locally or through the server holding the workspace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli.client import Operation, api, open_client, run, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.config import Settings
from unicx.errors import ValidationError
from unicx.profiles.custom_traits import (
    CustomTrait,
    delete_custom_trait,
    list_traits,
    read_definitions,
    save_custom_trait,
    validate_custom_trait,
)
from unicx.profiles.traits import refresh_workspace
from unicx.store import Store

app = typer.Typer(help="Computed traits: refresh, list, custom traits.", no_args_is_help=True)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False))


@app.command("refresh")
@reports_errors
def refresh(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Recompute traits and computed traits of every profile now."""
    with console.status("refreshing traits…") as status:

        def step(name: str, seconds: float, rows: int) -> None:
            # Only a local refresh reports its steps; the server's runs in one request.
            if not as_json:
                console.print(f"[green]✓[/] {name:<16} {seconds:8.2f} s  {rows:>10,} rows")
            status.update(f"refreshing traits… ({name} done)")

        def local(store: Store, settings: Settings) -> dict[str, Any]:
            return vars(refresh_workspace(store, settings, on_step=step))

        data = run_plain(workspace, Operation(local, api("POST", "/v1/traits/refresh")))
    if as_json:
        _echo_json(data)
        return
    console.print(
        f"refreshed {data['profiles']:,} profiles in {data['seconds']:.2f} s "
        f"({data['trait_rows']:,} trait rows, {data['computed_rows']:,} computed, "
        f"{data['custom_rows']:,} custom)"
    )


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Built-in computed traits and the custom traits of traits.toml."""
    rows = [t.model_dump() for t in list_traits(settings_for(workspace))]
    if as_json:
        _echo_json(rows)
        return
    table = Table("name", "kind", "definition")
    for t in rows:
        text = t["sql"] or t["description"]
        if not t["valid"]:
            text = f"[red]invalid:[/] {t['error']}\n{text}"
        table.add_row(t["name"], t["kind"], text)
    console.print(table)


@app.command("add")
@reports_errors
def add(
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Argument(help="Trait name: lower-case letters, digits, _")],
    sql: Annotated[str, typer.Option("--sql", help="One aggregate SQL expression.")],
    description: Annotated[str, typer.Option(help="What the trait means.")] = "",
    replace: Annotated[bool, typer.Option(help="Overwrite a trait of that name.")] = False,
) -> None:
    """Validate a custom trait and save it to traits.toml."""
    trait = CustomTrait(name=name, sql=sql, description=description)
    req = api("POST", "/v1/traits", json=trait.model_dump(), params={"replace": replace})
    run(
        workspace,
        Operation(lambda store, s: save_custom_trait(store, s, trait, replace=replace), req),
    )
    console.print(f"[green]saved[/] {name}; run `unicx traits refresh` to compute it")


@app.command("remove")
@reports_errors
def remove(workspace: WorkspaceOpt, name: str) -> None:
    """Remove a custom trait from traits.toml (its values go at the next refresh)."""
    delete_custom_trait(settings_for(workspace), name)
    console.print(f"removed {name}")


def _validate(trait: CustomTrait) -> Operation[Any]:
    def local(store: Store, _: Settings) -> None:
        with store.session() as s:
            validate_custom_trait(s, trait)

    return Operation(local, api("POST", "/v1/traits/validate", json=trait.model_dump()))


@app.command("validate")
@reports_errors
def validate(
    workspace: WorkspaceOpt,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A traits.toml")],
    as_json: JsonOpt = False,
) -> None:
    """Check every trait of a traits file against the workspace; exit 1 if any is invalid."""
    results: list[dict[str, Any]] = []
    with open_client(settings_for(workspace)) as client:
        for trait in read_definitions(file):
            try:
                client.run(_validate(trait))
                results.append({"name": trait.name, "valid": True, "error": None})
            except ValidationError as exc:
                results.append({"name": trait.name, "valid": False, "error": exc.message})
    if as_json:
        _echo_json(results)
    else:
        for r in results:
            mark = "[green]ok[/]" if r["valid"] else f"[red]invalid[/] {r['error']}"
            console.print(f"{r['name']}: {mark}", highlight=False)
    if not all(r["valid"] for r in results):
        raise typer.Exit(1)
