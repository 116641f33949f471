"""`unicx identity match` and `unicx identity reviews …`, registered on the `identity` app.

Like every command, they run the service on the workspace file, or call the same API endpoint
on the server holding it (DuckDB allows one writing process).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from unicx.cli.client import Operation, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.identity.matching import MatchReport, match_profiles
from unicx.identity.reviews import Review, decide_review, list_reviews

CLI_ACTOR = "cli"

reviews_app = typer.Typer(help="Pairs the matcher was not sure about.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `match` and the `reviews` group to the `identity` command group."""
    app.command("match")(match)
    app.add_typer(reviews_app, name="reviews")


@reports_errors
def match(
    workspace: WorkspaceOpt,
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", help="Only pairs with this profile (repeatable)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Match profiles that share no identifier: merge sure pairs, queue likely ones."""
    op = Operation(
        lambda store, settings: match_profiles(
            store, settings, profile_ids=profile, actor=CLI_ACTOR
        ),
        api("POST", "/v1/identity/match", MatchReport, json={"profile_ids": profile or None}),
    )
    with console.status("matching profiles…"):
        report = run(workspace, op)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    console.print(
        f"{report.records} named profiles, {report.candidates} candidate pairs "
        f"({'trained' if report.trained else 'prior'} model): "
        f"[green]{report.auto_merged} merged[/], {report.sent_to_review} to review "
        f"({report.new_reviews} new), {report.refused} refused by merge protection"
    )


def _reviews_table(rows: list[Review]) -> Table:
    table = Table("pair", "profile a", "profile b", "probability", "status", "evidence")
    for r in rows:
        levels = (r.evidence or {}).get("levels", {}) if isinstance(r.evidence, dict) else {}
        shown = ", ".join(f"{k}: {v}" for k, v in levels.items())
        table.add_row(r.pair_id, r.profile_a, r.profile_b, f"{r.probability:.3f}", r.status, shown)
    return table


@reviews_app.command("list")
@reports_errors
def reviews_list(
    workspace: WorkspaceOpt,
    status: Annotated[
        str, typer.Option(help="open, accepted, rejected, refused, stale or all.")
    ] = "open",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Pairs waiting for a decision, most likely first."""
    wanted = None if status == "all" else status
    params: dict[str, Any] = {"limit": limit} | ({"status": wanted} if wanted else {})
    op = Operation(
        lambda store, _: list_reviews(store, status=wanted, limit=limit),
        api("GET", "/v1/identity/reviews", list[Review], params=params),
    )
    rows = run(workspace, op)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
    else:
        console.print(_reviews_table(rows))


def _decide(workspace: WorkspaceOpt, pair_id: str, *, accept: bool, as_json: bool) -> None:
    body = {"decision": "accept" if accept else "reject"}
    op = Operation(
        lambda store, settings: decide_review(
            store, settings, pair_id, accept=accept, actor=CLI_ACTOR
        ),
        api("POST", f"/v1/identity/reviews/{pair_id}", Review, json=body),
    )
    review = run(workspace, op)
    if as_json:
        typer.echo(review.model_dump_json())
    else:
        console.print(f"review {review.pair_id}: {review.status}")


@reviews_app.command("accept")
@reports_errors
def reviews_accept(
    workspace: WorkspaceOpt,
    pair_id: Annotated[str, typer.Argument(help="Pair id from `reviews list`.")],
    as_json: JsonOpt = False,
) -> None:
    """Merge the pair (the older profile wins; undo with `unicx identity unmerge`)."""
    _decide(workspace, pair_id, accept=True, as_json=as_json)


@reviews_app.command("reject")
@reports_errors
def reviews_reject(
    workspace: WorkspaceOpt,
    pair_id: Annotated[str, typer.Argument(help="Pair id from `reviews list`.")],
    as_json: JsonOpt = False,
) -> None:
    """Not the same person: the pair is never proposed again."""
    _decide(workspace, pair_id, accept=False, as_json=as_json)
