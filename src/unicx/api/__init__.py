"""HTTP API: thin FastAPI routers over the domain services."""

from unicx.api.app import create_app

__all__ = ["create_app"]
