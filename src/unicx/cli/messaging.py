"""`unicx messaging …`: channel configs, the messaging policy, the message log, dead letters.

Every command runs the channel services on the workspace, or calls the same API endpoint when
a server holds the workspace. Config and policy files are YAML or JSON (docs/journeys.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape
from rich.table import Table

from unicx.channels import messages as log_service
from unicx.channels.base import channel_names, get_channel
from unicx.channels.config import read_config, redacted, save_config
from unicx.channels.deadletter import MAX_DEAD_PAGE, list_dead, replay
from unicx.channels.models import DeadMessage, MessagePublic, ReplayResult
from unicx.channels.person_token import read_secret
from unicx.channels.policy import check_policy, read_policy, save_policy
from unicx.cli.client import Operation, RemoteClient, api, run, run_call, run_plain, to_plain
from unicx.cli.common import JsonOpt, WorkspaceOpt, console, echo, reports_errors, shows_issues
from unicx.config import Settings
from unicx.errors import NotFoundError
from unicx.store import Store
from unicx.yamlfile import read_mapping

app = typer.Typer(
    help="Messaging: channel configs, policy, message log, dead letters.", no_args_is_help=True
)
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML or JSON file.")]
ChannelOpt = Annotated[str | None, typer.Option(help="Only this channel.")]


def _now() -> datetime:
    return datetime.now(UTC)


def _known(name: str) -> None:
    # Checked here too so the local answer matches the API's 404.
    if get_channel(name) is None:
        raise NotFoundError(f"unknown channel {name!r}; channels: {', '.join(channel_names())}")


def _channels_local(store: Store, _: Settings) -> list[dict[str, Any]]:
    with store.session() as s:
        return [
            _describe(name) | {"config": redacted(read_config(s, name))} for name in channel_names()
        ]


def _channels_remote(client: RemoteClient) -> list[dict[str, Any]]:
    """The API lists channels without their configs: one more request per channel."""
    keys = ("name", "address", "required_parts", "optional_parts")
    return [
        {k: c[k] for k in keys}
        | {"config": client.fetch(api("GET", f"/v1/channels/{c['name']}"))["config"]}
        for c in client.fetch(api("GET", "/v1/channels"))
    ]


def _describe(name: str) -> dict[str, Any]:
    cls = get_channel(name)
    assert cls is not None
    return {
        "name": name,
        "address": cls.address_kind,
        "required_parts": list(cls.required_parts),
        "optional_parts": list(cls.optional_parts),
    }


@app.command("channels")
@reports_errors
def channels(workspace: WorkspaceOpt, as_json: JsonOpt = False) -> None:
    """Every channel with its message parts and its config (secrets hidden)."""
    data = run_plain(workspace, Operation(_channels_local, _channels_remote))
    if as_json:
        echo(data)
        return
    table = Table("channel", "address", "parts (optional)", "config")
    for c in data:
        parts = ", ".join(c["required_parts"]) + "".join(f" ({p})" for p in c["optional_parts"])
        config = "\n".join(f"{k}={v}" for k, v in _flat(c["config"]))
        table.add_row(c["name"], c["address"], parts, escape(config))
    console.print(table)


def _flat(config: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Set values as dotted keys, long ones cut: a glance, the JSON has everything."""
    out: list[tuple[str, str]] = []
    for key, value in config.items():
        if isinstance(value, dict):
            out.extend(_flat(value, f"{prefix}{key}."))
        elif value not in (None, "", []):
            text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            out.append((prefix + key, text if len(text) <= 40 else text[:39] + "…"))
    return out


@app.command("channel-set")
@reports_errors
@shows_issues
def channel_set(
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Argument(help="Channel name (see `unicx messaging channels`).")],
    file: FileArg,
    as_json: JsonOpt = False,
) -> None:
    """Replace a channel's provider config with a YAML/JSON file (fields: the channel's docs)."""
    _known(name)
    raw = read_mapping(file, what="a channel config")
    raw = raw["config"] if set(raw) == {"config"} and isinstance(raw["config"], dict) else raw

    def local(store: Store, settings: Settings) -> Any:
        with store.session() as s, s.transaction():
            saved = save_config(s, name, raw, now=_now(), allow=settings.outbound_allow)
            return {"channel": name, "config": redacted(saved)}

    data = run_call(workspace, local, "PUT", f"/v1/channels/{name}", json={"config": raw})
    if as_json:
        echo(data)
        return
    console.print(f"[green]saved[/] {name} config", highlight=False)


@app.command("policy")
@reports_errors
def policy(workspace: WorkspaceOpt, as_json: JsonOpt = True) -> None:
    """The messaging policy: caps, quiet hours, time zone, consent rule (always JSON)."""
    del as_json

    def local(store: Store, _: Any) -> Any:
        with store.session() as s:
            return read_policy(s).model_dump(mode="json")

    echo(run_call(workspace, local, "GET", "/v1/messaging/policy"))


@app.command("policy-set")
@reports_errors
@shows_issues
def policy_set(workspace: WorkspaceOpt, file: FileArg, as_json: JsonOpt = False) -> None:
    """Replace the policy with a YAML/JSON file; contradicting rules are refused with their
    path."""
    raw = read_mapping(file, what="a messaging policy")
    raw = raw["policy"] if set(raw) == {"policy"} and isinstance(raw["policy"], dict) else raw

    def local(store: Store, _: Any) -> Any:
        checked = check_policy(raw, channel_names())
        with store.session() as s, s.transaction():
            save_policy(s, checked, now=_now())
        return checked.model_dump(mode="json")

    data = run_call(workspace, local, "PUT", "/v1/messaging/policy", json={"policy": raw})
    if as_json:
        echo(data)
        return
    caps = "; ".join(f"{c['channel']} ≤ {c['max']} per {c['per']}" for c in data["caps"])
    console.print(f"[green]saved[/] policy: caps {caps or 'none'}", highlight=False)


@app.command("messages")
@reports_errors
def messages(
    workspace: WorkspaceOpt,
    profile: Annotated[str | None, typer.Option(help="Only this profile id.")] = None,
    journey: Annotated[str | None, typer.Option(help="Only this journey (id or name).")] = None,
    channel: ChannelOpt = None,
    status: Annotated[str | None, typer.Option(help="queued, sent, suppressed, dead…")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """The message log, newest first, with what happened to each message afterwards."""
    filters = {"profile_id": profile, "journey": journey, "channel": channel, "status": status}
    params = {k: v for k, v in {**filters, "limit": limit}.items() if v is not None}
    op = Operation(
        lambda store, _: log_service.message_log(
            store, profile_id=profile, journey=journey, channel=channel, status=status, limit=limit
        ),
        api("GET", "/v1/messages", list[MessagePublic], params=params),
    )
    data = run(workspace, op)
    if as_json:
        echo(to_plain(data))
        return
    if not data:
        console.print("no messages")
        return
    table = Table("profile", "channel", "status", "reason", "created", "history")
    table.add_column("message", no_wrap=True)  # whole: replay takes it
    for m in data:
        history = " → ".join(h.status for h in m.history)
        table.add_row(
            m.profile_id, m.channel, m.status, m.reason or "",
            _minute(m.created_at), history, m.message_id,
        )  # fmt: skip
    console.print(table)


def _minute(at: datetime) -> str:
    """As the JSON answer's text, to the minute."""
    return at.isoformat()[:16]


@app.command("dead")
@reports_errors
def dead(
    workspace: WorkspaceOpt,
    channel: ChannelOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_DEAD_PAGE)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Messages whose retries ran out, most recent first (replay them once fixed)."""
    params: dict[str, Any] = {"limit": limit} | ({"channel": channel} if channel else {})
    op = Operation(
        lambda store, _: list_dead(store, channel=channel, limit=limit),
        api("GET", "/v1/messages/dead", list[DeadMessage], params=params),
    )
    data = run(workspace, op)
    if as_json:
        echo(to_plain(data))
        return
    if not data:
        console.print("no dead messages")
        return
    table = Table("channel", "address", "attempts", "last error", "given up")
    table.add_column("message", no_wrap=True)  # whole: replay takes it
    for m in data:
        table.add_row(
            m.channel, m.address or "", str(m.attempts),
            (m.last_error or "")[:120], _minute(m.updated_at), m.message_id,
        )  # fmt: skip
    console.print(table)


@app.command("replay")
@reports_errors
def replay_cmd(
    workspace: WorkspaceOpt,
    message_id: Annotated[str, typer.Argument(help="A dead or failed message's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Queue a dead or failed message again (attempts reset, due now)."""
    op = Operation(
        lambda store, _: replay(store, message_id, now=_now()),
        api("POST", f"/v1/messages/{quote(message_id, safe='')}/replay", ReplayResult),
    )
    data = run(workspace, op)
    if as_json:
        echo(to_plain(data))
        return
    console.print(
        f"queued {data.message_id} ({data.channel}) again; it was {data.previous_status}",
        highlight=False,
    )


@app.command("person-token-secret")
@reports_errors
def person_token_secret(workspace: WorkspaceOpt) -> None:
    """The secret the site's backend signs user ids with, for the web/in-app inbox (keep it on
    the server; docs/channels-inapp-ads.md has the Python and Node lines that use it)."""
    data = run_call(
        workspace,
        lambda store, _: {"secret": read_secret(store)},
        "GET",
        "/v1/inbox/person-token-secret",
    )
    typer.echo(data["secret"])
