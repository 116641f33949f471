"""Channel provider settings: stored per channel, validated by the channel's own model."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from unicx.channels.base import get_channel
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


def save_config(session: Session, channel: str, raw: Any, *, now: datetime) -> BaseModel:
    config = parse_config(channel, raw)
    session.execute(
        "INSERT INTO channel_configs VALUES (?, ?, ?) ON CONFLICT (channel) DO UPDATE SET "
        "config = excluded.config, updated_at = excluded.updated_at",
        [channel, config.model_dump_json(), now],
        step="channels.config_save",
    )
    return config


def redacted(config: BaseModel) -> dict[str, Any]:
    """The config as shown to people: secrets replaced by a marker."""

    def hide(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("***" if k in SECRET_KEYS and v else hide(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [hide(v) for v in value]
        return value

    out: dict[str, Any] = hide(config.model_dump(mode="json"))
    return out
