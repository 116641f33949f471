"""HTTP API: thin FastAPI routers over the domain services.

Layer: top (below the CLI): may import the runtime, workspace and every domain.
"""

from unicx.api.app import create_app

__all__ = ["create_app"]
