"""`unicx train` and `unicx models`: train the workspace's models, list their runs."""

from __future__ import annotations

import typer

models_app = typer.Typer(help="Model runs: list, show.", no_args_is_help=True)
