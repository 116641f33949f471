"""Send the demo stream through the real HTTP ingest API, as a customer's SDK would.

Going through ``/v1/batch`` rather than writing to the store means the demo exercises the
same validation, enrichment and group commit that production traffic does, and the first
thing a new user sees is proof that the Segment-compatible endpoint works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from unicx.config import Settings
from unicx.demo.envelope import Event
from unicx.demo.generator import generate_events, summarize
from unicx.errors import UnicxError

# The history goes in large batches (under the 500 KB Segment limit) from a few senders at
# once: the server's group commit then writes several requests per flush.
HISTORY_BATCH_BYTES = 400 * 1024
HISTORY_BATCH_EVENTS = 500
SENDERS = 4
READY_TIMEOUT_S = 60.0
# The writer answers 503 when its queue is full; a short backoff is what SDKs do too.
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class DemoStreamError(UnicxError):
    """The demo events could not be delivered to the server."""

    code = "demo_stream_failed"


class DemoServerNotReadyError(DemoStreamError):
    """The server did not start answering in time; running the demo again may work."""

    code = "demo_server_not_ready"
    retryable = True


def server_url(settings: Settings) -> str:
    """Where a client reaches the server: a wildcard bind address is reached on loopback."""
    host = _WILDCARD_HOSTS.get(settings.host, settings.host)
    return f"http://[{host}]:{settings.port}" if ":" in host else f"http://{host}:{settings.port}"


def format_vnd(amount: int) -> str:
    """Vietnamese money format: dots between thousands, the dong sign after (1.250.000 ₫)."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def stream_demo_events(
    settings: Settings,
    *,
    write_key: str,
    users: int,
    seed: int,
    console: Console | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
) -> int:
    """POST the generated stream to /v1/batch once the server is up; return the events sent."""
    return _stream(
        server_url(settings),
        write_key=write_key,
        users=users,
        seed=seed,
        console=console or Console(),
        ready_timeout=ready_timeout,
    )


def send_history(url: str, *, write_key: str, users: int, seed: int) -> str | None:
    """``stream_demo_events`` for a child process (`unicx demo` runs it in one, so the server
    keeps its own interpreter lock): None, or why the stream stopped."""
    try:
        _stream(url, write_key=write_key, users=users, seed=seed, console=Console())
    except UnicxError as exc:
        return exc.message
    return None


def _stream(
    url: str,
    *,
    write_key: str,
    users: int,
    seed: int,
    console: Console,
    ready_timeout: float = READY_TIMEOUT_S,
) -> int:
    out = console
    # httpx logs every request at INFO; that would bury the progress bar.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    events = list(generate_events(users=users, seed=seed))
    with httpx.Client(base_url=url, timeout=30.0) as client:
        wait_until_ready(client, timeout=ready_timeout)
        _send_all(client, events, auth=httpx.BasicAuth(write_key, ""), console=out)
    totals = summarize(events)
    out.print(
        f"[green]demo stream sent[/] {totals['events']} events from {users} people: "
        f"{totals['orders']} orders, revenue {format_vnd(totals['revenue'])}"
    )
    return len(events)


def wait_until_ready(client: httpx.Client, *, timeout: float) -> None:
    """Poll GET /v1/me: a 401 (no key given) proves the app is up and routing requests."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = client.get("/v1/me", timeout=1.0)
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 401:
                return
            last = f"HTTP {response.status_code}"
        time.sleep(0.1)
    raise DemoServerNotReadyError(
        f"the server at {client.base_url} did not answer within {timeout:.0f} s ({last})"
    )


def _send_all(
    client: httpx.Client, events: list[Event], *, auth: httpx.Auth, console: Console
) -> None:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("sending demo events", total=len(events))

        def send(chunk: tuple[int, list[bytes]]) -> None:
            first, encoded = chunk
            body = b'{"batch":[' + b",".join(encoded) + b"]}"
            _post_body(client, body, auth=auth, first_index=first)
            progress.advance(task, len(encoded))

        with ThreadPoolExecutor(SENDERS, thread_name_prefix="demo-send") as pool:
            # list(): the first failed batch raises here, with its events named.
            list(pool.map(send, _chunks(events)))


def _chunks(events: list[Event]) -> Iterator[tuple[int, list[bytes]]]:
    """(index of the first event, encoded events) of at most HISTORY_BATCH_BYTES each."""
    chunk: list[bytes] = []
    first = size = 0
    for index, event in enumerate(events):
        encoded = orjson.dumps(event)
        if chunk and (
            size + len(encoded) > HISTORY_BATCH_BYTES or len(chunk) >= HISTORY_BATCH_EVENTS
        ):
            yield first, chunk
            chunk, first, size = [], index, 0
        chunk.append(encoded)
        size += len(encoded) + 1
    if chunk:
        yield first, chunk


def post_batch(
    client: httpx.Client, batch: list[Event], *, auth: httpx.Auth, first_index: int = 0
) -> None:
    """One /v1/batch request, retried while the server says it is busy (503)."""
    _post_body(client, orjson.dumps({"batch": batch}), auth=auth, first_index=first_index)


def _post_body(client: httpx.Client, body: bytes, *, auth: httpx.Auth, first_index: int) -> None:
    response = _post(client, body, auth)
    for delay in RETRY_DELAYS_S:
        if response.status_code != 503:
            break
        time.sleep(delay)
        response = _post(client, body, auth)
    _check(response, first_index=first_index)


def _post(client: httpx.Client, body: bytes, auth: httpx.Auth) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    try:
        return client.post("/v1/batch", content=body, headers=headers, auth=auth)
    except httpx.TransportError as exc:
        raise DemoStreamError(f"sending events to {client.base_url} failed: {exc}") from exc


def _check(response: httpx.Response, *, first_index: int) -> None:
    """A 200 may still list rejected events; the demo stream must have none."""
    payload = _json(response)
    issues = payload.get("issues") or []
    if response.status_code == 200 and not issues:
        return
    shown = "; ".join(_describe(issue, first_index) for issue in issues[:5])
    more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
    reason = shown or payload.get("message") or response.text[:200]
    raise DemoStreamError(
        f"the server answered {response.status_code} to a demo batch: {reason}{more}",
        details={"status": response.status_code, "issues": issues},
    )


def _describe(issue: dict[str, Any], first_index: int) -> str:
    where = f"event {first_index + issue['index']} " if issue.get("index") is not None else ""
    return f"{where}{issue.get('field')}: {issue.get('rule')} ({issue.get('message')})"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
