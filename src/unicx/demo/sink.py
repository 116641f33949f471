"""The demo's own mail server: a local SMTP sink that keeps every message it receives.

`unicx demo` points the workspace's e-mail channel at it, so the cart-abandonment journey
really sends over SMTP (the stdlib client, as in production) and a newcomer can read what
arrived, without a mail account and without any message leaving the machine. Messages are
kept as a Maildir (stdlib ``mailbox``) in ``<workspace>/demo-inbox/``: the dashboard's
"Demo inbox" page reads it through :mod:`unicx.demo.inbox`.
"""

from __future__ import annotations

import mailbox
import socket
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

INBOX_DIRNAME = "demo-inbox"
LOOPBACK = "127.0.0.1"


def inbox_dir(workspace: Path) -> Path:
    return workspace / INBOX_DIRNAME


class _MaildirHandler:
    """aiosmtpd handler: accept every recipient, store each message once per delivery with
    the envelope a real mail server records (Return-Path, Delivered-To, Received)."""

    def __init__(self, path: Path) -> None:
        self.maildir = mailbox.Maildir(path, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = format_datetime(datetime.now(UTC))
        trace = (
            f"Return-Path: <{envelope.mail_from}>\r\n"
            f"Delivered-To: {', '.join(envelope.rcpt_tos)}\r\n"
            f"Received: from {session.host_name or 'unknown'} by unicx-demo-sink; {stamp}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        # A small file written to a local disk: cheap enough to do on the sink's own loop.
        self.maildir.add(mailbox.MaildirMessage(trace + content))
        return "250 OK: kept in the demo inbox"


class DemoSmtpSink:
    """An SMTP server on loopback (a free port unless given) in its own thread."""

    def __init__(self, workspace: Path, *, port: int = 0) -> None:
        self.path = inbox_dir(workspace)
        self.host = LOOPBACK
        self.port = port or free_port()
        self._controller = Controller(
            _MaildirHandler(self.path),
            hostname=self.host,
            port=self.port,
            # Journey e-mails with a Vietnamese name in the address need SMTPUTF8.
            enable_SMTPUTF8=True,
            server_hostname="unicx-demo-sink",
        )

    def start(self) -> DemoSmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> DemoSmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's choice for port 0)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])
