"""`unicx catalog …` and `unicx recommend …`: product catalog, recommendations, rules."""

from __future__ import annotations

import typer

catalog_app = typer.Typer(help="Product catalog: import, list.", no_args_is_help=True)
app = typer.Typer(help="Recommendations: for a person, similar items, rules.", no_args_is_help=True)
