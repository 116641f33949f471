"""`unicx serve` and `unicx demo`: run the HTTP server until SIGTERM/SIGINT."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn

from unicx.api.app import build_context
from unicx.cli.common import (
    WorkspaceOpt,
    console,
    err_console,
    reports_errors,
    settings_for,
    setup_logging,
)
from unicx.config import Settings
from unicx.demo import DEMO_MARKER
from unicx.errors import ConflictError, UnicxError
from unicx.runfile import connect_host
from unicx.web.app import create_app
from unicx.workspace import InitResult, init_workspace

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


@reports_errors
def demo(
    workspace: Annotated[Path, typer.Option("--workspace", "-w", envvar="UNICX_WORKSPACE")] = Path(
        "demo-workspace"
    ),
    host: HostOpt = None,
    port: PortOpt = None,
    users: Annotated[int, typer.Option(help="Simulated people in the event stream.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the generated stream.")] = 7,
) -> None:
    """Build a fresh demo workspace, stream realistic events through the HTTP API, serve it."""
    settings = settings_for(_fresh_demo_dir(workspace), host=host, port=port)
    # Chosen explicitly (not left to the default) and said, so nobody wonders why a visitor
    # who never ticked "personalization" on the banner gets trending items only.
    result = init_workspace(settings, source_name="demo web + app", consent_model="opt-in")
    (workspace / DEMO_MARKER).write_text("created by unicx demo; deleted by the next demo run\n")
    _print_credentials(settings, result)
    sender = threading.Thread(
        target=_stream_demo,
        args=(settings, result.write_key, result.secret_key, users, seed),
        daemon=True,
    )
    sender.start()
    run_server(settings)


def _demo_segments(settings: Settings, secret_key: str) -> None:
    """Save the lifecycle templates and train the models through the API, so the demo has
    segments, predictions and recommendations to explore."""
    from unicx.segments.templates import TEMPLATES

    url = f"http://{connect_host(settings.host)}:{settings.port}"
    headers = {"Authorization": f"Bearer {secret_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for template in TEMPLATES:
            res = client.post(f"/v1/segments/templates/{template.key}")
            if res.status_code != 201:
                err_console.print(f"demo segment {template.key}: {res.text[:200]}")
                continue
            console.print(f"segment [bold]{res.json()['name']}[/]: {res.json()['size']:,} people")
        # Then the models, so predictions, recommendations and decisions answer at once.
        res = client.post("/v1/models/train", timeout=600)
        for run in res.json() if res.status_code == 200 else []:
            console.print(f"model [bold]{run['model']}[/]: {run['status']} {run['message']}")
        if res.status_code != 200:
            err_console.print(f"demo training: {res.text[:200]}")


# The demo has no mail server: its live journey talks to people on the web inbox
# (GET /v1/profiles/{id}/messages?channel=web); the e-mail version is saved as a draft.
DEMO_JOURNEY: dict[str, Any] = {
    "name": "Giỏ hàng bị bỏ quên (web)",
    "entry": {"type": "event", "event": "Product Added"},
    "exit_when": [{"event": "Order Completed"}],
    "goal": {"event": "Order Completed", "within": "7d"},
    "holdout_percent": 10,
    "start": "wait",
    "nodes": {
        "wait": {"type": "wait", "for": "2m", "next": "nudge", "stage": "intent"},
        "nudge": {
            "type": "message",
            "channel": "web",
            "stage": "intent",
            "content": {
                "title": "{{ traits.first_name | default('Bạn') }} ơi, giỏ hàng vẫn đang chờ",
                "body": "Hoàn tất đơn hôm nay để nhận miễn phí vận chuyển.",
            },
            "next": "done",
        },
        "done": {"type": "exit"},
    },
}


def _demo_journeys(settings: Settings, secret_key: str) -> None:
    """Publish the web cart-abandonment journey before the events arrive (journeys enter
    people on events received after they go live) and save an e-mail variant as a draft."""
    from unicx.demo.stream import READY_TIMEOUT_S, wait_until_ready

    url = f"http://{connect_host(settings.host)}:{settings.port}"
    headers = {"Authorization": f"Bearer {secret_key}"}
    with httpx.Client(base_url=url, timeout=60) as probe:
        wait_until_ready(probe, timeout=READY_TIMEOUT_S)
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        res = client.post("/v1/journeys", json={"definition": DEMO_JOURNEY})
        if res.status_code != 201:
            err_console.print(f"demo journey: {res.text[:200]}")
            return
        published = client.post(f"/v1/journeys/{res.json()['journey_id']}/publish")
        if published.status_code != 200:
            err_console.print(f"demo journey publish: {published.text[:200]}")
            return
        console.print(f"journey [bold]{DEMO_JOURNEY['name']}[/]: published")
        nodes = dict(DEMO_JOURNEY["nodes"])
        nodes["nudge"] = {
            **nodes["nudge"],
            "channel": "email",
            "content": {
                "subject": nodes["nudge"]["content"]["title"],
                "html": "<p>{{ traits.first_name }} ơi, giỏ hàng vẫn đang chờ.</p>"
                '<p><a href="{{ message.unsubscribe_url }}">Hủy đăng ký</a></p>',
            },
        }
        draft = {**DEMO_JOURNEY, "name": "Giỏ hàng bị bỏ quên (email)", "nodes": nodes}
        res = client.post("/v1/journeys", json={"definition": draft})
        if res.status_code != 201:
            err_console.print(f"demo e-mail journey: {res.text[:200]}")


def _fresh_demo_dir(workspace: Path) -> Path:
    if workspace.exists():
        if not (workspace / DEMO_MARKER).exists():
            raise ConflictError(
                f"{workspace} exists and is not a demo workspace; choose another --workspace"
            )
        shutil.rmtree(workspace)
    return workspace


def _print_credentials(settings: Settings, result: InitResult) -> None:
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[green]demo workspace[/] {result.workspace} on {url}")
    console.print(f"write key   [bold]{result.write_key}[/]")
    console.print(f"secret key  [bold]{result.secret_key}[/]")
    console.print(
        f"consent     {result.consent_model}: recommendations and offers are personalized only "
        "for visitors who accept personalization on the cookie banner (about 6 in 10 here); "
        "the others get trending items, and each answer says why (docs/personalize.md)"
    )
    console.print(
        f"try: curl -s -H 'Authorization: Bearer {result.secret_key}' '{url}/v1/events?limit=5'"
    )


def _stream_demo(
    settings: Settings, write_key: str, secret_key: str, users: int, seed: int
) -> None:
    from unicx.demo.stream import stream_demo_events

    try:
        _demo_journeys(settings, secret_key)
        stream_demo_events(settings, write_key=write_key, users=users, seed=seed, console=console)
        _demo_segments(settings, secret_key)
    except UnicxError as exc:
        # This runs in a thread: without this a failure is a bare traceback, and the server
        # keeps serving what did arrive, so say plainly why the stream stopped.
        err_console.print(f"[bold red]demo stream failed:[/] {exc.message}")
