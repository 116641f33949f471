"""`unicx serve`: run the HTTP server until SIGTERM/SIGINT (`unicx demo` uses it too)."""

from __future__ import annotations

import signal
from typing import Annotated

import typer
import uvicorn

from unicx.api.app import build_context
from unicx.cli.common import WorkspaceOpt, reports_errors, settings_for, setup_logging
from unicx.config import Settings
from unicx.web.app import create_app

HostOpt = Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="TCP port (default 8000).")]


def run_server(settings: Settings) -> None:
    """Serve until a signal; uvicorn drains requests, then the lifespan flushes the writer."""
    setup_logging(settings.log_level)
    context = build_context(settings)  # fails fast, before binding, on a locked/missing store
    config = uvicorn.Config(
        create_app(settings, context=context),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=15,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises SIGTERM after its graceful shutdown, so a clean stop would end as death by
    # signal (exit -15) and look like a crash to supervisors. Our handler, which uvicorn restores
    # before re-raising, asks for the same graceful stop instead: the process then exits 0. Before
    # uvicorn installs its own handler, it also turns an early SIGTERM into a prompt clean stop.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: _request_exit(server))
    server.run()


def _request_exit(server: uvicorn.Server) -> None:
    server.should_exit = True


@reports_errors
def serve(workspace: WorkspaceOpt, host: HostOpt = None, port: PortOpt = None) -> None:
    """Serve the ingest and management API on an existing workspace."""
    run_server(settings_for(workspace, host=host, port=port))
