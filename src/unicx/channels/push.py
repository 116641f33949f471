"""Mobile and web push through an HTTP push service (FCM-style relay, OneSignal, your own).

The push token is the message address; title and body are the visible notification, ``url``
(what a tap opens) and ``image`` go to the template as ``extra.url`` / ``extra.image``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from unicx.channels.base import (
    AddressKind,
    ChannelContext,
    OutboundMessage,
    SendResult,
    TerminalSendError,
    register,
)
from unicx.channels.http_provider import ProviderChannelConfig, post

MAX_TOKEN = 4096


class PushConfig(ProviderChannelConfig):
    """The push service."""

    sender: str = Field(default="", max_length=200, description="app id, passed as `sender`")


@register
class PushChannel:
    name: ClassVar[str] = "push"
    address_kind: ClassVar[AddressKind] = "push_token"
    config_model: ClassVar[type[BaseModel]] = PushConfig
    required_parts: ClassVar[tuple[str, ...]] = ("title", "body")
    optional_parts: ClassVar[tuple[str, ...]] = ("url", "image")

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult:
        assert isinstance(config, PushConfig)
        token = message.address.strip()
        if not token or len(token) > MAX_TOKEN or any(ch.isspace() for ch in token):
            # A token with spaces or several KB long is not one a push service issued.
            raise TerminalSendError("not a valid push token", bounce=True)
        content = message.content
        title, body = str(content.get("title") or ""), str(content.get("body") or "")
        if not title.strip() and not body.strip():
            raise TerminalSendError("push title and body are both empty")
        extra = {k: str(content[k]) for k in ("url", "image") if content.get(k)}
        variables: dict[str, Any] = {"to": token, "title": title, "body": body, "text": body,
                     "message_id": message.message_id, "sender": config.sender,
                     "extra": extra}  # fmt: skip
        return post(config.provider, variables, allow=self.ctx.settings.outbound_allow)
