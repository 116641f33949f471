"""`unicx offers …`: offers and content blocks, decisions, sensitive traits.

Each command runs the personalize services on the workspace, or calls the same API endpoint
when a server holds the workspace. Offer files are YAML or JSON: one offer or a list of them
(docs/personalize.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from unicx.cli.client import Operation, RemoteClient, api, run_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.config import Settings
from unicx.errors import FieldIssue, ValidationError
from unicx.personalize import sensitive
from unicx.personalize.decide import Decider
from unicx.personalize.models import OfferCreate, SensitiveTrait
from unicx.personalize.offers import OfferService
from unicx.segments.files import read_file
from unicx.store import Store

app = typer.Typer(help="Offers and content blocks: define, validate, decide.", no_args_is_help=True)
FileArg = Annotated[Path, typer.Argument(exists=True, help="A YAML or JSON offer file.")]
OfferArg = Annotated[str, typer.Argument(help="Offer id or name.")]


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, default=str, ensure_ascii=False))


def read_offers(path: Path) -> list[OfferCreate]:
    """One offer or a list of offers from a YAML/JSON file; errors name the file and item."""
    data = read_file(path)
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(OfferCreate.model_validate(item))
        except PydanticValidationError as exc:
            err = exc.errors()[0]
            where = f"{path.name}[{i}]." + ".".join(str(p) for p in err["loc"])
            raise ValidationError(
                f"{where}: {err['msg']}", issues=[FieldIssue(where, err["type"], err["msg"])]
            ) from None
    return out


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Active offers by placement."""
    data = run_plain(
        workspace, Operation(lambda st, _: OfferService(st).all(), api("GET", "/v1/offers"))
    )
    if as_json:
        _echo(data)
        return
    table = Table("id", "name", "placement", "channel", "priority", "default", "version")
    for o in data:
        table.add_row(o["offer_id"], o["name"], o["placement"], o["channel"], str(o["priority"]),
                      "yes" if o["is_default"] else "", str(o["version"]))  # fmt: skip
    console.print(table)


@app.command("validate")
@reports_errors
def validate(workspace: WorkspaceOpt, file: FileArg) -> None:
    """Check an offer file (eligibility, template, sensitive traits) without saving."""
    for body in read_offers(file):

        def local(st: Store, _: Settings, b: OfferCreate = body) -> Any:
            return OfferService(st).validate(b, now=_now())

        req = api("POST", "/v1/offers/validate", json=body.model_dump(mode="json"))
        data = run_plain(workspace, Operation(local, req))
        console.print(f"[green]valid[/] {body.name}: traits {', '.join(data['traits']) or '-'}")
        typer.echo(data["sample"])


@app.command("apply")
@reports_errors
def apply(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Create or update the offers of a file, by name."""
    bodies = read_offers(file)

    def remote(client: RemoteClient) -> Any:
        return [_apply_remote(client, b) for b in bodies]

    data = run_plain(
        workspace, Operation(lambda st, _: OfferService(st).apply(bodies, now=_now()), remote)
    )
    _echo(data) if as_json else console.print(f"[green]applied[/] {len(data)} offer(s)")


def _apply_remote(client: RemoteClient, body: OfferCreate) -> Any:
    """The API has no bulk apply: update the offer of that name, or create it."""
    payload = body.model_dump(mode="json")
    existing = client.fetch(api("GET", "/v1/offers"))
    match = next((o for o in existing if o["name"].lower() == body.name.lower()), None)
    if match is None:
        return client.fetch(api("POST", "/v1/offers", json=payload))
    payload["clear_eligibility"] = body.eligibility is None
    return client.fetch(api("PATCH", f"/v1/offers/{match['offer_id']}", json=payload))


@app.command("delete")
@reports_errors
def delete(workspace: WorkspaceOpt, offer: OfferArg) -> None:
    """Retire an offer."""
    op = Operation(
        lambda st, _: OfferService(st).delete(offer, now=_now()),
        api("DELETE", f"/v1/offers/{offer}"),
    )
    run_plain(workspace, op)
    console.print(f"[green]retired[/] {offer}")


@app.command("decide")
@reports_errors
def decide(
    workspace: WorkspaceOpt,
    profile: Annotated[str, typer.Argument(help="Profile id.")],
    placement: Annotated[str, typer.Option("--placement", "-p", help="Placement name.")],
    device: Annotated[str | None, typer.Option(help="mobile, tablet, desktop.")] = None,
    country: Annotated[str | None, typer.Option(help="Two-letter country code.")] = None,
) -> None:
    """Decide the offer a person gets in a placement (logged like an API decision)."""
    params = {"placement": placement, "device": device, "country": country}
    op = Operation(
        lambda st, settings: Decider(st, settings).decide(
            profile, placement=placement, now=_now(), device=device, country=country
        ),
        api(
            "GET",
            f"/v1/profiles/{profile}/decide",
            params={k: v for k, v in params.items() if v is not None},
        ),
    )
    data = run_plain(workspace, op)
    _echo(data)


@app.command("sensitive")
@reports_errors
def mark_sensitive(
    workspace: WorkspaceOpt,
    trait: Annotated[str | None, typer.Argument(help="Trait to mark; none: list.")] = None,
    category: Annotated[str, typer.Option(help=", ".join(sensitive.CATEGORIES))] = "other",
    not_sensitive: Annotated[bool, typer.Option("--not-sensitive")] = False,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """List sensitive traits, or mark one (``--not-sensitive`` exempts a pattern match)."""

    def listed(st: Store, _: Settings) -> list[SensitiveTrait]:
        with st.session() as s:
            return sensitive.list_sensitive(s)

    def marked(st: Store, _: Settings) -> SensitiveTrait:
        with st.session() as s:
            return sensitive.mark(s, str(trait), sensitive=not not_sensitive, category=category,
                                  reason=reason, actor="cli", now=_now())  # fmt: skip

    if trait is None:
        req = api("GET", "/v1/personalize/sensitive-traits", list[SensitiveTrait])
        _echo(run_plain(workspace, Operation(listed, req)))
        return
    body = {"sensitive": not not_sensitive, "category": category, "reason": reason}
    mark = api("PUT", f"/v1/personalize/sensitive-traits/{trait}", SensitiveTrait, json=body)
    _echo(run_plain(workspace, Operation(marked, mark)))
