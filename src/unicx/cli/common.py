"""Shared CLI plumbing: the workspace option, settings, error reporting, JSON output."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from unicx.config import Settings, load_settings
from unicx.errors import UnicxError, ValidationError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        envvar="UNICX_WORKSPACE",
        help="Workspace directory (env UNICX_WORKSPACE).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

P = ParamSpec("P")
R = TypeVar("R")


def settings_for(workspace: Path, **overrides: Any) -> Settings:
    return load_settings(workspace=workspace, **overrides)


# Libraries that log every request or SMTP command at INFO (the demo's own client and sink).
QUIET_LIBRARIES = ("httpx", "mail.log")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


def reports_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn UnicxError into a one-line message and exit code 1 instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except UnicxError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(1) from exc

    return wrapper


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


def echo(data: Any) -> None:
    """Plain JSON values as one line of JSON."""
    typer.echo(json.dumps(data, ensure_ascii=False))
