"""The `unicx` command line (Typer): thin commands over the same services as the API."""
