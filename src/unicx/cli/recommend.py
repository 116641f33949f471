"""`unicx catalog …` and `unicx recommend …`: product catalog, recommendations, the report.

Each command runs on the workspace, or calls the same API endpoint when a server holds it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from unicx.cli.client import Operation, api, run, run_plain, to_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.config import Settings
from unicx.errors import ValidationError
from unicx.recommend import catalog
from unicx.recommend.models import CatalogPage, Recommendations
from unicx.recommend.serving import Recommender
from unicx.store import Store

catalog_app = typer.Typer(help="Product catalog: import, list.", no_args_is_help=True)
app = typer.Typer(help="Recommendations: for a person, similar items, rules.", no_args_is_help=True)
K = Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="How many items.")]


def _show_items(data: Recommendations, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(to_plain(data), ensure_ascii=False))
        return
    table = Table("#", "item", "name", "category", "price", "score")
    for n, item in enumerate(data.items, start=1):
        table.add_row(str(n), item.item_id, str(item.name or ""), str(item.category or ""),
                      str(item.price or ""), f"{item.score:.4f}")  # fmt: skip
    console.print(table)
    console.print(f"recommendation_id {data.recommendation_id}, "
                  f"personalized: {data.personalized}")  # fmt: skip


@catalog_app.command("import")
@reports_errors
def import_catalog(
    workspace: WorkspaceOpt,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, help="CSV (id,name,category,price,available,image,url) or JSON lines."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Add or update catalog items; bad rows are listed by row number, good rows kept."""
    raw = file.read_bytes()

    def local(store: Store, _: Settings) -> catalog.CatalogReport:
        try:
            rows = catalog.parse_rows(raw, file_name=file.name)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(f"unreadable catalog file: {str(exc)[:200]}") from None
        return catalog.upsert(store, rows, now=datetime.now(UTC))

    req = api("POST", "/v1/catalog/import", content=raw, params={"file_name": file.name})
    report = run_plain(workspace, Operation(local, req))
    if as_json:
        typer.echo(json.dumps(report))
        return
    console.print(f"accepted {report['accepted']:,}, rejected {report['rejected']:,}")
    for err in report["errors"][:20]:
        console.print(f"  row {err['row']}: {err['reason']}", highlight=False)


@catalog_app.command("list")
@reports_errors
def list_catalog(
    workspace: WorkspaceOpt,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Catalog items by id."""

    def local(store: Store, _: Settings) -> CatalogPage:
        total, items = catalog.list_items(store, offset=0, limit=limit)
        return CatalogPage(total=total, offset=0, limit=limit, items=items)

    req = api("GET", "/v1/catalog/items", CatalogPage, params={"limit": limit})
    items = to_plain(run(workspace, Operation(local, req)).items)
    if as_json:
        typer.echo(json.dumps(items, default=str, ensure_ascii=False))
        return
    table = Table("item", "name", "category", "price", "available", "source")
    for i in items:
        table.add_row(str(i["item_id"]), str(i.get("name") or ""), str(i.get("category") or ""),
                      str(i.get("price") or ""), str(i.get("available")),
                      str(i.get("source") or ""))  # fmt: skip
    console.print(table)


@app.command("for")
@reports_errors
def for_profile(
    workspace: WorkspaceOpt,
    profile_id: Annotated[str, typer.Argument(help="Profile id.")],
    k: K = 10,
    context: Annotated[str, typer.Option(help="home, cart or product:<sku>")] = "home",
    placement: str = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Recommendations for one person (logged like any served answer)."""

    def local(store: Store, settings: Settings) -> Recommendations:
        rec = Recommender(store, settings)
        try:
            return rec.for_profile(profile_id, k=k, context=context, cart=[],
                                   placement=placement, now=datetime.now(UTC))  # fmt: skip
        finally:
            rec.log.flush()

    params = {"k": k, "context": context, "placement": placement}
    req = api("GET", f"/v1/profiles/{profile_id}/recommendations", Recommendations, params=params)
    _show_items(run(workspace, Operation(local, req)), as_json)


@app.command("similar")
@reports_errors
def similar(
    workspace: WorkspaceOpt,
    sku: Annotated[str, typer.Argument(help="Item id (sku).")],
    k: K = 10,
    as_json: JsonOpt = False,
) -> None:
    """Items bought or viewed together with ``sku``."""

    def local(store: Store, settings: Settings) -> Recommendations:
        rec = Recommender(store, settings)
        try:
            return rec.similar(sku, k=k, now=datetime.now(UTC))
        finally:
            rec.log.flush()

    req = api("GET", f"/v1/items/{sku}/similar", Recommendations, params={"k": k})
    _show_items(run(workspace, Operation(local, req)), as_json)
