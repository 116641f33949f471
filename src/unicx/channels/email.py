"""E-mail over SMTP (stdlib client) to any real mail server: HTML + text, per-message
Message-ID from the idempotency key, RFC 8058 one-click unsubscribe headers, open pixel and
click-tracking links. One SMTP connection per sending thread is reused across messages."""

from __future__ import annotations

import contextlib
import html
import io
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTPUTF8, Compat32
from email.utils import formataddr
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from unicx.channels.base import (
    ChannelContext,
    OutboundMessage,
    RetryableSendError,
    SendResult,
    TerminalSendError,
    register,
)
from unicx.channels.outbound import PinnedSMTP, PinnedSMTPSSL, resolve
from unicx.channels.tracking import click_url

_HREF = re.compile(r'href=(["\'])(https?://[^"\']+)\1', re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# A click token carries its URL; longer URLs stay untracked so the link cannot outgrow the
# token limit the API accepts (tracking.MAX_TOKEN).
MAX_TRACKED_URL = 2000
# Replies that mean "log in / use TLS first" (RFC 4954, 3207): the config is wrong, not the
# message, so it waits for a fix instead of failing for good.
_CONFIG_CODES = frozenset({530, 534, 535, 538})
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_ENHANCED = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}\b")
_UNCONFIRMED = "the connection dropped after the end of data: taken as delivered, not resent"


class SmtpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", max_length=255)
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    # Printable ASCII only: smtplib's AUTH encodes credentials as ASCII.
    username: str | None = Field(default=None, max_length=255, pattern=r"^[\x20-\x7e]*$")
    password: str | None = Field(default=None, max_length=1000, pattern=r"^[\x20-\x7e]*$")
    from_address: str = Field(
        default="marketing@example.vn", max_length=255, pattern=r"^[^@\s]+@[^@\s]+$"
    )
    from_name: str = Field(default="", max_length=200)
    reply_to: str | None = Field(default=None, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    timeout_s: float = Field(default=10, gt=0, le=120)
    track_opens: bool = True
    track_clicks: bool = True

    def destinations(self) -> list[tuple[str, str, int]]:
        """(field, host, port) this config connects to, for the save-time SSRF check."""
        return [("host", self.host, self.port)]


# The message is built with the stdlib's compat32 API (headers are the strings we give it):
# the EmailMessage API parses and refolds every header through its registry, three times the
# cost, and building the e-mail was the largest part of sending one. compat32 RFC 2047-encodes
# non-ASCII header text (the From name is encoded apart, so its address stays readable); a
# non-ASCII address is written as UTF-8 instead, for an SMTPUTF8 server.
class _Compat32(Compat32):
    """compat32 would break a long header with no space in it (a List-Unsubscribe URL) before
    its value, which readers then see with a leading space: such a value stays on its line
    (RFC 5322 allows 998 characters)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and value.isascii() and not any(c.isspace() for c in value):
            line = f"{name}: {value}"
            if len(line) <= MAX_HEADER_LINE:
                return (line + self.linesep).encode("ascii")
        return super().fold_binary(name, value)


MAX_HEADER_LINE = 998
_ASCII_POLICY = _Compat32(linesep="\r\n")
_UTF8_POLICY = SMTPUTF8.clone(linesep="\r\n")


@dataclass(frozen=True, slots=True)
class Built:
    """An e-mail ready for the wire."""

    payload: bytes
    sender: str
    recipient: str
    message_id: str
    international: bool  # a non-ASCII address: needs the server's SMTPUTF8


def text_from_html(source: str) -> str:
    """A readable text part: links kept as 'text (url)', tags dropped, entities decoded."""
    linked = re.sub(
        r'<a\s[^>]*href=["\']([^"\']+)["\'][^>]*>(.*?)</a>',
        r"\2 (\1)",
        source,
        flags=re.IGNORECASE | re.DOTALL,
    )
    spaced = re.sub(r"<(br|/p|/div|/li|/h\d)[^>]*>", "\n", linked, flags=re.IGNORECASE)
    return re.sub(r"\n\s*\n+", "\n\n", html.unescape(_TAG.sub("", _HIDDEN.sub("", spaced)))).strip()


def _one_line(value: str) -> str:
    """Header text from a template or config: a line break would be header injection."""
    return " ".join(value.split())


@register  # type: ignore[arg-type]
class EmailChannel:
    name: ClassVar[str] = "email"
    address_kind: ClassVar[Literal["email"]] = "email"
    config_model: ClassVar[type[BaseModel]] = SmtpConfig
    required_parts: ClassVar[tuple[str, ...]] = ("subject", "html")
    optional_parts: ClassVar[tuple[str, ...]] = ("text", "preheader")

    def __init__(self, ctx: ChannelContext) -> None:
        self._local = threading.local()
        self._allow = ctx.settings.outbound_allow

    def build(self, message: OutboundMessage, config: SmtpConfig) -> Built:
        """The MIME message: text + HTML alternatives, tracking applied to the HTML only (the
        text part keeps the real URLs: nothing can count a click on plain text anyway)."""
        source = str(message.content.get("html", ""))
        body = source
        links = message.links
        if config.track_clicks and "click_key" in links:
            skip = links.get("unsubscribe")

            def rewrite(m: re.Match[str]) -> str:
                url = html.unescape(m.group(2))
                if url == skip or len(url) > MAX_TRACKED_URL:
                    return m.group(0)
                tracked = click_url(links, message.message_id, url)
                return f"href={m.group(1)}{html.escape(tracked)}{m.group(1)}"

            body = _HREF.sub(rewrite, body)
        preheader = str(message.content.get("preheader") or "")
        if preheader:
            # Shown by mail clients next to the subject in the list, hidden in the body.
            body = (
                '<div style="display:none;max-height:0;overflow:hidden">'
                f"{html.escape(preheader)}</div>" + body
            )
        if config.track_opens and "open" in links:
            body += f'<img src="{html.escape(links["open"])}" width="1" height="1" alt="">'
        msg = MIMEMultipart("alternative")
        msg["Subject"] = _one_line(str(message.content.get("subject", "")))
        name = _one_line(config.from_name)
        msg["From"] = formataddr((name, config.from_address), charset="utf-8")
        msg["To"] = message.address
        if config.reply_to:
            msg["Reply-To"] = config.reply_to
        # The same Message-ID on a resend lets receivers drop the duplicate.
        safe_id = re.sub(r"[^A-Za-z0-9._-]", "-", message.message_id)
        msg["Message-ID"] = f"<{safe_id}@unicx>"
        msg["X-Unicx-Message-Id"] = _one_line(message.message_id)  # exact, for receipts
        if "unsubscribe" in links:
            msg["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text = str(message.content.get("text") or text_from_html(source))
        msg.attach(MIMEText(text, "plain", "utf-8"))
        msg.attach(MIMEText(body, "html", "utf-8"))
        international = not (config.from_address + message.address).isascii()
        buffer = io.BytesIO()
        BytesGenerator(buffer, policy=_UTF8_POLICY if international else _ASCII_POLICY).flatten(msg)
        return Built(
            buffer.getvalue(), config.from_address, message.address, msg["Message-ID"],
            international,
        )  # fmt: skip

    def _connection(self, config: SmtpConfig) -> smtplib.SMTP:
        key = config.model_dump_json()
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "key", None) == key:
            return conn
        self._close()
        address = resolve(config.host, config.port, allow=self._allow, what="SMTP host")
        where = {"host": config.host, "port": config.port, "timeout": config.timeout_s}
        if config.security == "tls":
            conn = PinnedSMTPSSL(address, context=ssl.create_default_context(), **where)
        else:
            conn = PinnedSMTP(address, **where)
        if config.security == "starttls":
            conn.starttls(context=ssl.create_default_context())
        if config.username:
            conn.login(config.username, config.password or "")
        if conn.sock is not None:
            # The final "." goes out alone after the handover: without this, Nagle's algorithm
            # holds it until the server's delayed ACK, 40 ms per message.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._local.conn, self._local.key = conn, key
        return conn

    def _close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult:
        assert isinstance(config, SmtpConfig)
        try:
            Address(addr_spec=message.address)
            msg = self.build(message, config)
        except (ValueError, IndexError, HeaderParseError) as exc:
            # A bad recipient address (a hard bounce) or a header no mail server would take.
            raise TerminalSendError(
                f"cannot build the e-mail to {message.address[:100]!r}: {exc}", bounce=True
            ) from None
        for attempt in (1, 2):
            reused = getattr(self._local, "conn", None) is not None
            try:
                if _transmit(self._connection(config), msg, message.handover):
                    return SendResult(provider_id=msg.message_id)
                self._close()
                return SendResult(provider_id=msg.message_id, detail=_UNCONFIRMED)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                self._reset()
                if 400 <= code < 500:
                    raise RetryableSendError(_reply(code, reply)) from None
                raise TerminalSendError(_reply(code, reply), bounce=True) from None
            except smtplib.SMTPAuthenticationError as exc:
                self._close()
                raise RetryableSendError(
                    f"SMTP authentication failed ({exc.smtp_code}): check the username and "
                    "password of the email channel config; messages wait until it works"
                ) from None
            except smtplib.SMTPResponseException as exc:
                self._reset()
                summary = _reply(exc.smtp_code, exc.smtp_error)
                if exc.smtp_code in _CONFIG_CODES:
                    raise RetryableSendError(
                        f"{summary}: the server wants authentication or TLS: check the email "
                        "channel config"
                    ) from None
                if 400 <= exc.smtp_code < 500:
                    raise RetryableSendError(summary) from None
                raise TerminalSendError(summary) from None
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._close()
                # A kept-alive connection the server dropped while idle: reconnect once.
                if attempt == 1 and reused:
                    continue
                raise RetryableSendError(
                    f"SMTP server {config.host}:{config.port} unreachable: {exc}"
                ) from None
            except smtplib.SMTPException as exc:  # e.g. STARTTLS not offered by the server
                self._close()
                raise RetryableSendError(f"SMTP error: {exc}") from None
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        conn = getattr(self._local, "conn", None)
        try:
            if conn is not None:
                conn.rset()
        except (OSError, smtplib.SMTPException):
            self._close()


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as the log keeps it: the code and its enhanced status (RFC 3463, e.g.
    5.1.1), not the server's free text, which an internal service would fill with its own
    answer (the message log is readable by analysts)."""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    enhanced = _ENHANCED.match(raw.strip())
    return f"SMTP {code}" + (f" {enhanced.group(0)}" if enhanced else "")


def _transmit(conn: smtplib.SMTP, msg: Built, handover: Callable[[], None] | None) -> bool:
    """``SMTP.send_message`` split at the final "." of DATA, the one byte sequence after which
    the server owns the message: ``handover`` runs just before it, so a crash either leaves the
    message unsent (resent on restart) or recorded as handed over (never sent twice, RFC 1047).
    False when the reply to the "." was lost: the server may well have taken it."""
    sender, recipient, payload = msg.sender, msg.recipient, msg.payload
    conn.ehlo_or_helo_if_needed()
    options = ["SMTPUTF8", "BODY=8BITMIME"] if msg.international else []
    if conn.has_extn("size"):
        options.append(f"SIZE={len(payload)}")
    code, reply = conn.mail(sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = conn.rcpt(recipient)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    conn.putcmd("data")
    code, reply = conn.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = _LEADING_DOT.sub(b"..", payload)  # RFC 5321 4.5.2 dot-stuffing
    conn.send(body if body.endswith(b"\r\n") else body + b"\r\n")
    if handover is not None:
        handover()
    conn.send(b".\r\n")
    try:
        code, reply = conn.getreply()
    except smtplib.SMTPServerDisconnected:
        return False
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return True
