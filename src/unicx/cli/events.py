"""`unicx events tail`: the latest events, optionally following new arrivals."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Annotated

import typer
from pydantic import TypeAdapter

from unicx.cli.client import Client, Operation, RemoteClient, api, open_client, run
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, reports_errors, settings_for
from unicx.errors import ConfigError
from unicx.ingest.query import MAX_LIST_LIMIT, EventPage, EventPublic, EventQuery
from unicx.ingest.retention import prune_events

app = typer.Typer(help="Look at stored events.", no_args_is_help=True)

# Events are stamped when received but committed a few ms later, so each poll looks back a
# little and drops what it already printed.
_LOOKBACK = timedelta(seconds=5)
MAX_TAIL = 100_000


def list_events(
    *, limit: int, since: datetime | None, cursor: str | None = None
) -> Operation[EventPage]:
    """A page of events, newest first; the next page's cursor comes in a header."""
    given = {"limit": limit, "since": since.isoformat() if since else None, "cursor": cursor}
    req = api("GET", "/v1/events", params={k: v for k, v in given.items() if v is not None})

    def remote(client: RemoteClient) -> EventPage:
        res = client.send(req)
        events = TypeAdapter(list[EventPublic]).validate_json(res.content)
        return EventPage(events, res.headers.get("X-Next-Cursor"))

    return Operation(
        lambda store, _: EventQuery(store).page(limit=limit, since=since, cursor=cursor), remote
    )


def prune(days: int) -> Operation[int]:
    def remote(client: RemoteClient) -> int:
        req = api("POST", "/v1/events/prune", json={"older_than_days": days})
        return int(client.fetch(req)["deleted"])

    return Operation(lambda store, _: prune_events(store, older_than_days=days), remote)


def _newest(client: Client, limit: int) -> list[EventPublic]:
    """The ``limit`` newest events, newest first, following the API's cursor past one page."""
    out: list[EventPublic] = []
    cursor: str | None = None
    while len(out) < limit:
        page = client.run(
            list_events(limit=min(MAX_LIST_LIMIT, limit - len(out)), since=None, cursor=cursor)
        )
        out += page.events
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return out


def _line(e: EventPublic) -> str:
    who = e.userId or e.anonymousId or "-"
    what = e.event or e.name or ""
    return f"{e.receivedAt:%Y-%m-%d %H:%M:%S} {e.type:<8} {what:<28} {who:<24} {e.messageId}"


def _emit(events: list[EventPublic], as_json: bool) -> None:
    for e in events:
        if as_json:
            typer.echo(json.dumps(e.model_dump(mode="json"), ensure_ascii=False))
        else:
            console.print(_line(e), highlight=False, markup=False)


@app.command("tail")
@reports_errors
def tail(
    workspace: WorkspaceOpt,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=MAX_TAIL, help="Pages past 1,000.")
    ] = 20,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Print the newest events, oldest first; with --follow, keep printing new ones."""
    with open_client(settings_for(workspace)) as client:
        latest = list(reversed(_newest(client, limit)))
        _emit(latest, as_json)
        seen = {(e.sourceId, e.messageId) for e in latest}
        last = latest[-1].receivedAt if latest else None
        while follow:
            time.sleep(interval)
            since = last - _LOOKBACK if last else None
            fresh = [
                e
                for e in reversed(client.run(list_events(limit=1000, since=since)).events)
                if (e.sourceId, e.messageId) not in seen
            ]
            _emit(fresh, as_json)
            seen.update((e.sourceId, e.messageId) for e in fresh)
            if fresh:
                last = max(e.receivedAt for e in fresh)
            if len(seen) > 100_000:
                seen = {(e.sourceId, e.messageId) for e in fresh}


@app.command("prune")
@reports_errors
def prune_cmd(
    workspace: WorkspaceOpt,
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Delete events older than this (default: the workspace's events_retention_days).",
        ),
    ] = None,
) -> None:
    """Delete old events now (the server also does it daily when a retention is set)."""
    settings = settings_for(workspace)
    days = older_than_days or settings.events_retention_days
    if days is None:
        raise ConfigError("give --older-than-days or set events_retention_days")
    deleted = run(workspace, prune(days))
    console.print(f"deleted {deleted} events older than {days} days")
