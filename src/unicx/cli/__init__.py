"""The `unicx` command line (Typer): thin commands over the same services as the API.

Layer: top: may import the API (its client), the runtime and every domain.
"""
