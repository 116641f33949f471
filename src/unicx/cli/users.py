"""`unicx users create/list/disable/reset-password`: the dashboard's users.

Local only for now: the API has no user routes yet (they come with the dashboard), so when a
server holds the workspace these commands say so instead of reaching it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.table import Table

from unicx.auth.models import Role
from unicx.auth.users import DashboardUserCreated, DashboardUserPublic, UserService
from unicx.cli.client import Operation, RemoteClient, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors
from unicx.config import Settings
from unicx.errors import ConflictError
from unicx.store import Store

T = TypeVar("T")

app = typer.Typer(help="Users of the dashboard (e-mail, role, password).", no_args_is_help=True)


def _server_holds_workspace(_: RemoteClient) -> NoReturn:
    raise ConflictError(
        "a running server holds this workspace and has no dashboard-user routes yet: "
        "stop the server first, then run `unicx users ...` again"
    )


def _local_only(local: Callable[[Store, Settings], T]) -> Operation[T]:
    return Operation(local, _server_holds_workspace)


def create_user(email: str, role: Role) -> Operation[DashboardUserCreated]:
    return _local_only(lambda store, _: UserService(store).create(email, role))


def list_users() -> Operation[list[DashboardUserPublic]]:
    return _local_only(lambda store, _: UserService(store).list_users())


def disable_user(email: str) -> Operation[DashboardUserPublic]:
    return _local_only(lambda store, _: UserService(store).disable(email))


def reset_user_password(email: str) -> Operation[DashboardUserCreated]:
    return _local_only(lambda store, _: UserService(store).reset_password(email))


def _shown_once(user: DashboardUserCreated, *, as_json: bool) -> None:
    if as_json:
        keys = ("user_id", "email", "role", "password")
        typer.echo(json.dumps({k: v for k, v in user.model_dump(mode="json").items() if k in keys}))
        return
    console.print(f"{user.email} ({user.role.value}) password: [bold]{user.password}[/]")
    console.print("shown once: only its hash is kept")


@app.command("create")
@reports_errors
def create(
    email: str,
    workspace: WorkspaceOpt,
    role: Annotated[Role, typer.Option(help="admin, marketer, analyst or viewer")],
    as_json: JsonOpt = False,
) -> None:
    """Create a dashboard user; its generated password is printed once."""
    _shown_once(run(workspace, create_user(email, role)), as_json=as_json)


@app.command("list")
@reports_errors
def list_(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """List dashboard users (e-mail, role, status; never a password or its hash)."""
    users = run(workspace, list_users())
    if as_json:
        typer.echo(json.dumps([u.model_dump(mode="json") for u in users]))
        return
    table = Table("user", "e-mail", "role", "status")
    for u in users:
        table.add_row(u.user_id, u.email, u.role.value, "disabled" if u.disabled_at else "active")
    console.print(table)


@app.command("disable")
@reports_errors
def disable(email: str, workspace: WorkspaceOpt) -> None:
    """Disable a dashboard user at once (it can no longer sign in)."""
    user = run(workspace, disable_user(email))
    console.print(f"disabled {user.email}")


@app.command("reset-password")
@reports_errors
def reset_password(email: str, workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Give a dashboard user a new generated password, printed once."""
    _shown_once(run(workspace, reset_user_password(email)), as_json=as_json)
