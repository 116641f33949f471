"""What every channel is: a plug-in that names itself, describes its config and sends one
rendered message, raising a retryable or a terminal error when the provider says no.

The outbox (:mod:`unicx.channels.outbox`) owns everything around a send: consent, suppression,
caps, quiet hours, rendering, retries and the message log. A channel only talks to its
provider, so adding one is a class with ``name``, ``config_model``, ``address`` and ``send``
registered in :data:`REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

from unicx.config import Settings
from unicx.errors import UnicxError
from unicx.store import Store

# Which identifier a channel delivers to; ``profile`` channels (in-app) need none.
AddressKind = Literal["email", "phone", "push_token", "url", "profile"]


class SendError(UnicxError):
    """A provider refused or failed a message; ``retryable`` says whether to try again."""

    code = "send_failed"


class RetryableSendError(SendError):
    """Timeouts, connection refused, 4xx SMTP replies, HTTP 429/5xx: try again later."""

    retryable = True


class TerminalSendError(SendError):
    """The provider will never accept this message (bad address, 5xx SMTP reply, HTTP 4xx)."""

    code = "send_rejected"

    def __init__(self, message: str, *, bounce: bool = False) -> None:
        super().__init__(message)
        # A hard bounce: the address itself is bad, so it goes on the suppression list.
        self.bounce = bounce


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One rendered message, ready for a provider."""

    message_id: str  # the idempotency key; also the Message-ID / provider reference
    profile_id: str
    channel: str
    address: str  # e-mail, E.164 phone, push token, URL or profile id (in-app)
    content: Mapping[str, Any]  # rendered parts: subject/html/text, text, title/body, payload
    category: str = "marketing"  # marketing | transactional
    journey_id: str | None = None
    node_id: str | None = None
    attempt: int = 1
    # Absolute URLs the channel may need: unsubscribe (one-click), open pixel, click redirect.
    links: Mapping[str, str] = field(default_factory=dict)
    # Called by a channel right before the step that makes delivery irrevocable (SMTP: the
    # final "." of DATA). The outbox records the message as handed over, so a crash after it
    # is never followed by a second copy: recovery logs it as sent, unconfirmed.
    handover: Callable[[], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_id: str | None = None  # the provider's reference, for delivery receipts
    detail: str | None = None


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What a channel instance may use besides its config: the workspace store (in-app
    messages live there), the settings (public URL, time zone) and the outbox's clock (the
    journeys' injectable one: an inbox message expires on the time the journeys run on)."""

    store: Store
    settings: Settings
    now: Callable[[], datetime] = _wall_clock


class Channel(Protocol):
    """A channel plug-in, built once per dispatcher as ``cls(ctx)``. ``send`` runs in a worker
    thread and may block on the network; it raises :class:`RetryableSendError` or
    :class:`TerminalSendError`, never returns silently on failure."""

    name: ClassVar[str]
    address_kind: ClassVar[AddressKind]
    config_model: ClassVar[type[BaseModel]]
    # The content parts a journey's message node must give (templates), e.g. subject + html.
    required_parts: ClassVar[tuple[str, ...]]
    optional_parts: ClassVar[tuple[str, ...]]

    def __init__(self, ctx: ChannelContext) -> None: ...

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult: ...


REGISTRY: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    """Class decorator: make a channel known to validation, the outbox and the API."""
    REGISTRY[cls.name] = cls
    return cls


def channel_names() -> list[str]:
    _load_builtin()
    return sorted(REGISTRY)


def get_channel(name: str) -> type[Channel] | None:
    _load_builtin()
    return REGISTRY.get(name)


def _load_builtin() -> None:
    # Importing the modules registers them; done lazily so importing base stays cheap.
    from unicx.channels import builtin  # noqa: F401
