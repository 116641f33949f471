"""`unicx profiles export|erase|consent` and `unicx audit list`.

Each command runs the privacy service on the workspace file, or, when `unicx serve` holds it,
calls the same endpoint of the server (see :mod:`unicx.cli.client`).
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import typer

from unicx.cli.client import Operation, api, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.errors import FieldIssue, ValidationError
from unicx.privacy.audit import list_audit
from unicx.privacy.consent import get_consent, set_consent
from unicx.privacy.erasure import erase_profile
from unicx.privacy.export import export_profile
from unicx.privacy.models import AuditEntry, ConsentPublic, ErasureReport, ProfileExport

audit_app = typer.Typer(help="Who exported, erased or changed what.", no_args_is_help=True)

_TRUE = {"true", "yes", "1", "granted", "on"}
_FALSE = {"false", "no", "0", "denied", "off"}


def register(app: typer.Typer) -> None:
    """Add the privacy commands to the `profiles` command group."""
    app.command("export")(export_cmd)
    app.command("erase")(erase_cmd)
    app.command("consent")(consent_cmd)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _path(profile_id: str, tail: str = "") -> str:
    return f"/v1/profiles/{quote(profile_id, safe='')}{tail}"


@reports_errors
def export_cmd(
    workspace: WorkspaceOpt,
    profile_id: Annotated[str, typer.Argument(help="Profile to export.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here (default stdout).")
    ] = None,
) -> None:
    """Everything unicx holds on one person, as JSON (recorded in the audit log)."""
    op = Operation(
        lambda store, _: export_profile(store, profile_id, actor=_actor()),
        api("GET", _path(profile_id, "/export"), ProfileExport),
    )
    data = run(workspace, op)
    text = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    rows = sum(len(v) for v in data.tables.values())
    console.print(f"exported {rows} rows of profile {profile_id} to {output}")


@reports_errors
def erase_cmd(
    workspace: WorkspaceOpt,
    profile_id: Annotated[str, typer.Argument(help="Profile to erase.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    request_id: Annotated[
        str | None, typer.Option(help="Your reference for the request (a ticket id).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Erase a person from every table, leaving only tombstones (hashes) and an audit entry."""
    if not yes:
        raise ValidationError(
            "erasure cannot be undone: pass --yes to confirm",
            issues=[FieldIssue("--yes", "required", "confirmation required")],
        )
    params = {"request_id": request_id} if request_id else None
    op = Operation(
        lambda store, settings: erase_profile(
            store, settings, profile_id, actor=_actor(), request_id=request_id
        ),
        api("DELETE", _path(profile_id), ErasureReport, params=params),
    )
    report = run(workspace, op)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    console.print(f"[green]erased[/] profile {report.profile_id} (request {report.request_id})")
    for table, count in report.deleted.items():
        if count:
            console.print(f"  {table:<20} {count} rows")
    console.print(f"  tombstones           {report.tombstones}")


def _parse_sets(values: list[str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    issues: list[FieldIssue] = []
    for item in values:
        name, sep, raw = item.partition("=")
        flag = raw.strip().lower()
        if not sep or flag not in _TRUE | _FALSE:
            issues.append(FieldIssue("--set", "format", f"{item[:64]!r}: use PURPOSE=true|false"))
            continue
        out[name.strip()] = flag in _TRUE
    if issues:
        raise ValidationError(issues[0].message, issues=issues)
    return out


@reports_errors
def consent_cmd(
    workspace: WorkspaceOpt,
    profile_id: Annotated[str, typer.Argument(help="Profile to show or change.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="PURPOSE=true|false, repeatable (e.g. --set email=false)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a profile's consent per purpose; with --set, record new values first."""
    changes = _parse_sets(set_ or [])
    path = _path(profile_id, "/consent")
    op = (
        Operation(
            lambda store, settings: set_consent(
                store, settings, profile_id, changes, actor=_actor()
            ),
            api("PUT", path, ConsentPublic, json={"purposes": changes}),
        )
        if changes
        else Operation(
            lambda store, _: get_consent(store, profile_id), api("GET", path, ConsentPublic)
        )
    )
    result = run(workspace, op)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    for purpose, state in result.purposes.items():
        shown = "unknown" if state.granted is None else ("granted" if state.granted else "denied")
        when = f"  {state.updated_at:%Y-%m-%d %H:%M:%S}" if state.updated_at else ""
        console.print(f"{purpose:<16} {shown:<8}{when}", highlight=False)


@audit_app.command("list")
@reports_errors
def audit_list(
    workspace: WorkspaceOpt,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 50,
    since: Annotated[datetime | None, typer.Option(help="Only entries at/after.")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. profile.erase")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The newest audit entries."""
    given = {"limit": limit, "since": since.isoformat() if since else None, "action": action}
    op = Operation(
        lambda store, _: list_audit(store, limit=limit, since=since, action=action),
        api(
            "GET",
            "/v1/audit",
            list[AuditEntry],
            params={k: v for k, v in given.items() if v is not None},
        ),
    )
    entries = run(workspace, op)
    for e in entries:
        if as_json:
            typer.echo(e.model_dump_json())
        else:
            detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
            console.print(
                f"{e.occurred_at:%Y-%m-%d %H:%M:%S} {e.actor:<20} {e.action:<16} "
                f"{e.target or '-':<38} {detail}",
                highlight=False,
                markup=False,
            )
