"""`unicx demo`: build a fresh demo workspace, serve it, and fill it through the HTTP API.

In order: init (keys and the dashboard's admin), the local SMTP sink, the server; then, in a
background thread, the catalog, the e-mail channel pointed at the sink, a year of history,
the lifecycle segments, model training, personas and the cart journeys ("ready"), and a few
minutes of live shoppers whose abandoned carts get e-mails in the demo inbox.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import httpx
import typer

from unicx.cli.common import console, err_console, reports_errors, settings_for
from unicx.cli.serve import HostOpt, PortOpt, run_server
from unicx.config import CONFIG_FILENAME, Settings
from unicx.demo.inbox import DEMO_MARKER
from unicx.demo.sink import LOOPBACK, DemoSmtpSink
from unicx.demo.stream import DemoStreamError
from unicx.errors import ConflictError, UnicxError
from unicx.workspace import DEFAULT_ADMIN_EMAIL, InitResult, init_workspace

DEFAULT_USERS = 5000


@dataclass(frozen=True)
class _Demo:
    settings: Settings
    keys: InitResult
    sink: DemoSmtpSink
    users: int
    seed: int
    live: bool
    nudge_after: str
    started: float  # time.monotonic() when the command started


@reports_errors
def demo(
    workspace: Annotated[Path, typer.Option("--workspace", "-w", envvar="UNICX_WORKSPACE")] = Path(
        "demo-workspace"
    ),
    host: HostOpt = None,
    port: PortOpt = None,
    users: Annotated[int, typer.Option(help="Simulated people (12 months of history).")] = (
        DEFAULT_USERS
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the generated stream.")] = 7,
    live: Annotated[
        bool, typer.Option(help="After the history, a few minutes of live shoppers.")
    ] = True,
    nudge_after: Annotated[
        str, typer.Option(help="Wait of the cart journeys before their nudge (30s, 2m, 1h).")
    ] = "2m",
) -> None:
    """Build a fresh demo workspace, stream realistic events through the HTTP API, serve it."""
    started = time.monotonic()
    # One OpenMP thread for the models (read when scikit-learn first loads, later on): the
    # server's own threads keep the cores busy, and on a busy 2-core machine two spinning
    # OpenMP threads made the churn fit 20x slower (9 s with one, over 200 s with two).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = settings_for(_fresh_demo_dir(workspace), host=host, port=port)
    # Chosen explicitly (not left to the default) and said, so nobody wonders why a visitor
    # who never ticked "personalization" on the banner gets trending items only.
    keys = init_workspace(
        settings,
        source_name="demo web + app",
        consent_model="opt-in",
        admin_email=DEFAULT_ADMIN_EMAIL,
    )
    (workspace / DEMO_MARKER).write_text("created by unicx demo; deleted by the next demo run\n")
    settings = _allow_sink(settings, workspace)
    with DemoSmtpSink(workspace) as sink:
        job = _Demo(settings, keys, sink, users, seed, live, nudge_after, started)
        print_welcome(job)
        threading.Thread(target=_build, args=(job,), name="demo-build", daemon=True).start()
        run_server(settings)


def _allow_sink(settings: Settings, workspace: Path) -> Settings:
    """Let the e-mail channel connect to the sink on loopback (refused by default: SSRF),
    written to unicx.toml so `unicx serve` on this workspace keeps the same rule."""
    with (workspace / CONFIG_FILENAME).open("a", encoding="utf-8") as f:
        f.write(
            "\n# unicx demo: the e-mail channel sends to the demo's SMTP sink on this machine.\n"
            f'outbound_allow = ["{LOOPBACK}"]\n'
        )
    return settings_for(workspace, host=settings.host, port=settings.port)


def print_welcome(job: _Demo) -> None:
    from unicx.demo.stream import server_url

    url, keys = server_url(job.settings), job.keys
    console.print(f"[green]demo workspace[/] {keys.workspace}")
    console.print(
        f"dashboard   [bold]{url}/[/]   login [bold]{keys.dashboard_email}[/] / "
        f"[bold]{keys.dashboard_password}[/]"
    )
    console.print(f"write key   [bold]{keys.write_key}[/]")
    console.print(f"secret key  [bold]{keys.secret_key}[/]")
    console.print(
        f"smtp sink   {job.sink.host}:{job.sink.port}: the demo's e-mails are kept in "
        f"{job.sink.path} (the dashboard's Demo inbox)"
    )
    console.print(
        f"consent     {keys.consent_model}: recommendations and offers are personalized only "
        "for visitors who accept personalization on the cookie banner (about 6 in 10 here); "
        "the others get trending items, and each answer says why (docs/personalize.md)"
    )
    console.print(
        f"try: curl -s -H 'Authorization: Bearer {keys.secret_key}' '{url}/v1/events?limit=5'"
    )


def _build(job: _Demo) -> None:
    """Runs in a thread beside the server: a failure is said plainly (the server keeps
    serving what did arrive) instead of ending as a bare traceback."""
    try:
        _fill(job)
    except UnicxError as exc:
        err_console.print(f"[bold red]demo stream failed:[/] {exc.message}")
    except httpx.HTTPError as exc:
        err_console.print(f"[bold red]demo stream failed:[/] {exc}")


def _fill(job: _Demo) -> None:
    from unicx.demo import prepare
    from unicx.demo.live import run_live
    from unicx.demo.stream import READY_TIMEOUT_S, send_history, server_url, wait_until_ready

    url, keys = server_url(job.settings), job.keys
    # The history is generated and sent from a second process: in this one, the client's
    # encoding and the server's decoding would take turns on one interpreter lock.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        history = pool.submit(
            send_history, url, write_key=keys.write_key, users=job.users, seed=job.seed
        )
        with httpx.Client(base_url=url, timeout=30) as plain:
            wait_until_ready(plain, timeout=READY_TIMEOUT_S)
        with prepare.admin_client(url, keys.secret_key) as client:
            prepare.load_catalog(client)
            prepare.use_sink(client, host=job.sink.host, port=job.sink.port)
        failed = history.result()
    if failed:
        raise DemoStreamError(failed)
    console.print(f"history loaded in {time.monotonic() - job.started:.0f} s")
    with prepare.admin_client(url, keys.secret_key) as client:
        prepare.save_segments(client, console)
        prepare.train_models(client, console)
        prepare.build_personas(client, console)
        prepare.publish_journeys(client, console, wait=job.nudge_after)
        console.print(
            f"[green]demo ready[/] in {time.monotonic() - job.started:.0f} s: sign in at {url}/"
        )
        if job.live:
            console.print("live shoppers for a few minutes: abandoned carts get an e-mail")
            with httpx.Client(base_url=url, timeout=30) as plain:
                sent = run_live(plain, write_key=keys.write_key, users=job.users, seed=job.seed)
            console.print(f"[green]live stream done[/]: {sent} events")


def _fresh_demo_dir(workspace: Path) -> Path:
    if workspace.exists():
        if not (workspace / DEMO_MARKER).exists():
            raise ConflictError(
                f"{workspace} exists and is not a demo workspace; choose another --workspace"
            )
        shutil.rmtree(workspace)
    return workspace
