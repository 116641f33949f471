"""`unicx offers …`: offers and content blocks, decisions, sensitive traits."""

from __future__ import annotations

import typer

app = typer.Typer(help="Offers and content blocks: define, validate, decide.", no_args_is_help=True)
