"""In-app and web messages: the "provider" is the workspace itself.

Sending stores the rendered message in the ``inbox`` table; the site or app fetches it later
through ``GET /v1/profiles/{id}/messages`` (:mod:`unicx.channels.inbox`) and reports what the
person did with it. ``web`` (a site's message centre or banner) and ``in_app`` (a mobile app's
inbox) are the same mechanism under two names, so each has its own config and message log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from unicx.channels.base import (
    AddressKind,
    ChannelContext,
    OutboundMessage,
    SendResult,
    TerminalSendError,
    register,
)

INBOX_PARTS = ("title", "body", "url", "image", "cta")
MAX_CONTENT_BYTES = 16_384
_LINK_PARTS = ("url", "image")
# What browsers strip or rewrite inside a URL (C0 controls, space, DEL, backslash).
_LOOSE = re.compile(r"[\x00-\x20\x7f\\]")


class InboxConfig(BaseModel):
    """How long messages stay and how many a person sees at once."""

    model_config = ConfigDict(extra="forbid")

    ttl_days: int = Field(
        default=30, ge=1, le=365, description="Days a message stays fetchable after it is sent"
    )
    max_per_profile: int = Field(
        default=50,
        ge=1,
        le=500,
        description="Newest messages listed per person; older ones drop off the list",
    )


def safe_link(value: str) -> bool:
    """True for an http(s) URL or a site-relative path: the site puts these in ``href``/``src``,
    so ``javascript:`` or ``data:`` from a template would become script on the page, and a
    link that looks relative but is not (``//evil``, ``/\\evil``) would lead off the site.

    Browsers read a URL more loosely than ``urlsplit``: they drop tabs and line breaks
    anywhere and take ``\\`` for ``/``, so ``/\\evil.example`` and ``/<tab>/evil`` are
    ``//evil.example``. Such characters (and any control character or space) are refused
    outright rather than guessed at; an absolute URL must spell ``scheme://host`` and carry no
    user name (``https://good@evil`` goes to ``evil``)."""
    if not value or _LOOSE.search(value):
        return False
    if value.startswith("/"):
        return not value.startswith("//")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not value.lower().startswith(parts.scheme + "://"):
        return False
    try:
        parts.port  # noqa: B018  (raises for a port that is not one)
    except ValueError:
        return False
    return bool(parts.hostname) and "@" not in parts.netloc


def inbox_content(content: Mapping[str, Any]) -> dict[str, str]:
    """The parts stored for the site, checked; TerminalSendError names what is wrong."""
    out: dict[str, str] = {}
    for part in INBOX_PARTS:
        value = content.get(part)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise TerminalSendError(f"in-app part {part!r} must be text")
        if part in _LINK_PARTS and not safe_link(value.strip()):
            raise TerminalSendError(f"in-app part {part!r} must be an http(s) URL or a /path")
        out[part] = value.strip() if part in _LINK_PARTS else value
    missing = [p for p in ("title", "body") if not out.get(p)]
    if missing:
        raise TerminalSendError(f"in-app message lacks {', '.join(missing)}")
    if len(json.dumps(out, ensure_ascii=False).encode()) > MAX_CONTENT_BYTES:
        raise TerminalSendError(f"in-app message is over {MAX_CONTENT_BYTES} bytes")
    return out


class _InboxChannel:
    name: ClassVar[str]
    address_kind: ClassVar[AddressKind] = "profile"
    config_model: ClassVar[type[BaseModel]] = InboxConfig
    required_parts: ClassVar[tuple[str, ...]] = ("title", "body")
    optional_parts: ClassVar[tuple[str, ...]] = ("url", "image", "cta")

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult:
        assert isinstance(config, InboxConfig)
        content = inbox_content(message.content)
        now = self.ctx.now()
        # Its own short transaction: the outbox marks the message sent only after this commits,
        # and a resend after a crash in between finds the row and adds nothing.
        with self.ctx.store.session() as s, s.transaction():
            s.execute(
                "INSERT INTO inbox (message_id, profile_id, channel, content, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    message.message_id,
                    message.profile_id,
                    self.name,
                    json.dumps(content, ensure_ascii=False),
                    now,
                    now + timedelta(days=config.ttl_days),
                ],
                step="inapp.store",
            )
        return SendResult(provider_id=message.message_id, detail="stored in inbox")


@register
class WebChannel(_InboxChannel):
    """Messages a website shows (message centre, banner) after fetching them."""

    name: ClassVar[str] = "web"


@register
class InAppChannel(_InboxChannel):
    """Messages a mobile app shows in its inbox after fetching them."""

    name: ClassVar[str] = "in_app"
