"""A real SMTP server on loopback (aiosmtpd) for the e-mail and journey tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers import free_port


class Inbox:
    """An aiosmtpd handler keeping every message (parsed), its envelope and the client end of
    each connection. ``nobody@…`` is refused for good, ``busy@…`` for now; ``delay`` holds
    the reply to the end of DATA (a slow server, or one that never answers in time)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.peers: set[Any] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.peers.add(session.peer)
            self.envelopes.append(envelope)
            self.messages.append(parsed)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def ids(self) -> Counter[str]:
        """How many times each unicx message id arrived."""
        with self._lock:
            return Counter(str(m["X-Unicx-Message-Id"]) for m in self.messages)


def start(inbox: Inbox, port: int, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@contextmanager
def smtp_server(inbox: Inbox | None = None, **kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    inbox, port = inbox or Inbox(), free_port()
    controller = start(inbox, port, **kwargs)
    try:
        yield inbox, port
    finally:
        controller.stop()
