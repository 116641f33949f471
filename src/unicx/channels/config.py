"""Channel provider settings: stored per channel, validated by the channel's own model."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from unicx.channels.base import get_channel
from unicx.channels.outbound import check_destination
from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.store import Session

# Keys whose values are never shown back (API answers, CLI output, logs).
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "api_key",
        "auth_header",
        "signing_secret",
        "receipt_token",
        "headers",
    }
)
# Not secrets as such, but they carry credentials often enough (an API key in a URL's path or
# query, a token inside a JSON body template) to be shown only as a marker or an origin.
OPAQUE_KEYS = frozenset({"body_template"})
URL_KEYS = frozenset({"url"})
MARKER = "***"


def pydantic_issues(exc: PydanticValidationError, root: str) -> list[FieldIssue]:
    """Pydantic's errors as our issues, each with a JSON path under ``root``."""
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in (root, *err["loc"]) if p != "")
        out.append(FieldIssue(where, str(err["type"]), str(err["msg"])))
    return out


def parse_config(channel: str, raw: Any) -> BaseModel:
    cls = get_channel(channel)
    if cls is None:
        raise NotFoundError(f"unknown channel {channel!r}")
    try:
        return cls.config_model.model_validate(raw if raw is not None else {})
    except PydanticValidationError as exc:
        issues = pydantic_issues(exc, "config")
        raise ValidationError(
            f"invalid {channel} config: " + "; ".join(f"{i.field}: {i.message}" for i in issues),
            issues=issues,
        ) from None


def read_config(session: Session, channel: str) -> BaseModel:
    """The channel's saved config, or its defaults when none was saved."""
    row = session.fetchone(
        "SELECT config FROM channel_configs WHERE channel = ?", [channel], step="channels.config"
    )
    return parse_config(channel, json.loads(str(row[0])) if row else {})


def save_config(
    session: Session, channel: str, raw: Any, *, now: datetime, allow: Sequence[str]
) -> BaseModel:
    """Validate and store a config. Values sent back as shown by :func:`redacted` keep what
    is stored (a client edits what it sees without retyping secrets); a destination that
    resolves to an internal address not in ``allow`` is refused with its field."""
    row = session.fetchone(
        "SELECT config FROM channel_configs WHERE channel = ?", [channel], step="channels.config"
    )
    if row is not None and isinstance(raw, dict):
        raw = restore_hidden(raw, json.loads(str(row[0])))
    config = parse_config(channel, raw)
    check_destinations(channel, config, allow=allow)
    session.execute(
        "INSERT INTO channel_configs VALUES (?, ?, ?) ON CONFLICT (channel) DO UPDATE SET "
        "config = excluded.config, updated_at = excluded.updated_at",
        [channel, config.model_dump_json(), now],
        step="channels.config_save",
    )
    return config


def check_destinations(channel: str, config: BaseModel, *, allow: Sequence[str]) -> None:
    """ValidationError naming each field whose host is internal (SSRF, docs/channels-*)."""
    issues = []
    destinations: Callable[[], list[tuple[str, str, int]]] | None
    destinations = getattr(config, "destinations", None)
    for where, host, port in destinations() if destinations else []:
        refused = check_destination(host, port, allow=allow, what=where)
        if refused:
            issues.append(FieldIssue(f"config.{where}", "outbound_refused", refused))
    if issues:
        raise ValidationError(
            f"invalid {channel} config: " + "; ".join(f"{i.field}: {i.message}" for i in issues),
            issues=issues,
        )


def _hidden(key: str, value: Any) -> Any:
    """What a person sees of one value: secrets a marker, provider URLs their origin only
    (the path and query often carry an account id or key), body templates a marker."""
    if not value:
        return value
    if key in SECRET_KEYS or key in OPAQUE_KEYS:
        return MARKER
    if key in URL_KEYS and isinstance(value, str):
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/{MARKER}"
    return value


def redacted(config: BaseModel) -> dict[str, Any]:
    """The config as shown to people, whatever their role: see :func:`_hidden`."""

    def hide(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (_hidden(k, v) if _hidden(k, v) is not v else hide(v))
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list):
            return [hide(v) for v in value]
        return value

    out: dict[str, Any] = hide(config.model_dump(mode="json"))
    return out


def restore_hidden(raw: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with every value equal to what :func:`_hidden` shows of the stored one put
    back to the stored value (recursively): sending a GET answer back changes nothing."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        old = stored.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            out[key] = restore_hidden(value, old)
        elif old is not None and value == _hidden(key, old) and value != old:
            out[key] = old
        else:
            out[key] = value
    return out
