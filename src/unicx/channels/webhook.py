"""Webhooks: POST a rendered JSON payload to a URL, signed so the receiver can trust it.

Every request carries::

    Content-Type: application/json
    X-Unicx-Message-Id: <message id>     same on every retry: receivers deduplicate on it
    X-Unicx-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

A receiver recomputes the HMAC over the raw body with :func:`verify_signature` (or the few
lines it shows), and refuses old timestamps so a captured request cannot be replayed later.
Failed deliveries are retried with exponential backoff (``max_attempts``, ``backoff_base_s``,
``backoff_cap_s`` of this config, read by :func:`unicx.channels.retry.policy_for`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from unicx.channels.base import (
    AddressKind,
    ChannelContext,
    OutboundMessage,
    SendResult,
    TerminalSendError,
    register,
)
from unicx.channels.http_provider import MAX_BODY, check_headers, check_http_url, request

SIGNATURE_HEADER = "X-Unicx-Signature"
MESSAGE_ID_HEADER = "X-Unicx-Message-Id"
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", SIGNATURE_HEADER.lower(), MESSAGE_ID_HEADER.lower()}
)


def sign(secret: str, body: bytes | str, t: int) -> str:
    """The signature header value for ``body`` sent at unix time ``t``."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes | str, *, now: float, tolerance_s: float = 300
) -> bool:
    """For receivers: True if ``header`` signs exactly ``body`` with ``secret`` and its time is
    within ``tolerance_s`` of ``now``. Several ``v1=`` values are allowed (secret rotation)."""
    times: list[str] = []
    macs: list[str] = []
    for item in header[:2000].split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            times.append(value)
        elif key == "v1":
            macs.append(value)
    # Exactly one well-formed timestamp: two would let a forger pick which one is checked.
    if len(times) != 1 or not times[0].isdigit() or len(times[0]) > 12:
        return False
    t = int(times[0])
    if not macs or abs(now - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).partition(",v1=")[2]
    # compare_digest on every candidate: no early exit that leaks timing.
    return any([hmac.compare_digest(expected, mac) for mac in macs])


class WebhookConfig(BaseModel):
    """Signing and retry settings for outgoing webhooks."""

    model_config = ConfigDict(extra="forbid")

    signing_secret: str = Field(
        default="", max_length=500, description="HMAC key (16+ characters); required to send"
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_base_s: float = Field(default=2.0, gt=0, le=3600)
    backoff_cap_s: float = Field(default=3600.0, gt=0, le=7 * 86400)
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers")

    @field_validator("signing_secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("signing_secret must be at least 16 characters")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        # Same header rules as HTTP providers; the ones unicx sets itself cannot be overridden.
        check_headers(value)
        clash = sorted(k for k in value if k.lower() in RESERVED_HEADERS)
        if clash:
            raise ValueError(f"headers set by unicx cannot be overridden: {', '.join(clash)}")
        return value


@register
class WebhookChannel:
    name: ClassVar[str] = "webhook"
    address_kind: ClassVar[AddressKind] = "url"
    config_model: ClassVar[type[BaseModel]] = WebhookConfig
    required_parts: ClassVar[tuple[str, ...]] = ("payload",)
    optional_parts: ClassVar[tuple[str, ...]] = ("url",)

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult:
        assert isinstance(config, WebhookConfig)
        if not config.signing_secret:
            raise TerminalSendError("the webhook channel has no signing_secret configured")
        # The node's ``url`` part, when given, overrides the address (one URL per journey).
        url = str(message.content.get("url") or message.address or "").strip()
        check_http_url(url, what="webhook url", error=TerminalSendError)
        payload = message.content.get("payload")
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        if len(body) > MAX_BODY:
            raise TerminalSendError(f"webhook payload is over {MAX_BODY} bytes")
        try:
            json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TerminalSendError(f"webhook payload is not JSON: {exc}") from None
        headers = {
            "User-Agent": "unicx-webhook",
            **config.headers,
            "Content-Type": "application/json",
            MESSAGE_ID_HEADER: message.message_id,
            SIGNATURE_HEADER: sign(config.signing_secret, body, int(time.time())),
        }
        status, _ = request(
            "POST",
            url,
            body,
            headers,
            timeout_s=config.timeout_s,
            allow=self.ctx.settings.outbound_allow,
            what="webhook receiver",
        )
        return SendResult(provider_id=None, detail=f"HTTP {status}")
