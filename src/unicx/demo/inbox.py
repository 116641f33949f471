"""What the demo's SMTP sink received, for the dashboard's "Demo inbox" page (demo only).

The messages are the workspace's own journey e-mails, yet their HTML is still treated as
untrusted: ``preview`` and ``text`` are plain text (tags dropped, entities decoded), and
``html`` is returned as received for a caller that renders it in a sandboxed frame
(``<iframe sandbox srcdoc=…>``), never inline in a page.
"""

from __future__ import annotations

import email.policy
import mailbox
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from pydantic import BaseModel, Field

from unicx.channels.email import text_from_html
from unicx.demo.sink import inbox_dir
from unicx.errors import NotFoundError, ValidationError

DEMO_MARKER = ".unicx-demo"  # in a workspace `unicx demo` built (and may rebuild)
PREVIEW_CHARS = 200
MAX_LIMIT = 200
# Maildir keys are "<time>.<unique>.<host>" made of these characters: anything else (a path
# separator, "..") is refused before it reaches the file system.
_KEY = re.compile(r"^[A-Za-z0-9._\-]{1,200}$")
_STAMP = re.compile(r"^(\d+)\.(?:M(\d+))?")  # "<seconds>.M<microseconds>P<pid>Q<n>.<host>"


class DemoMessageSummary(BaseModel):
    message_id: str = Field(description="The key to open the message with (get_message)")
    received_at: datetime
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    subject: str
    preview: str = Field(description=f"The first {PREVIEW_CHARS} characters of its text")

    model_config = {"populate_by_name": True}


class DemoMessage(DemoMessageSummary):
    text: str = Field(description="The plain-text part, or the HTML part as text")
    html: str | None = Field(
        description="The HTML part as received: untrusted, render only in a sandboxed frame"
    )
    headers: list[tuple[str, str]]


class DemoInboxPage(BaseModel):
    total: int
    limit: int
    offset: int
    messages: list[DemoMessageSummary]


def is_demo_workspace(workspace: Path) -> bool:
    """Built by `unicx demo`: the only kind of workspace with a demo inbox to show."""
    return (workspace / DEMO_MARKER).is_file()


def list_messages(workspace: Path, *, limit: int = 50, offset: int = 0) -> DemoInboxPage:
    """The newest messages first, one page of them."""
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValidationError(f"limit is 1 to {MAX_LIMIT} and offset at least 0")
    box = _open(workspace)
    if box is None:
        return DemoInboxPage(total=0, limit=limit, offset=offset, messages=[])
    # The delivery time is in each file name: sorting needs no message to be opened.
    keys = sorted(box.keys(), key=lambda k: (_delivered(k), k), reverse=True)
    page = [_summary(k, _parse(box, k), _delivered(k)) for k in keys[offset:][:limit]]
    return DemoInboxPage(total=len(keys), limit=limit, offset=offset, messages=page)


def get_message(workspace: Path, message_id: str) -> DemoMessage:
    box = _open(workspace)
    if box is None or not _KEY.match(message_id):
        raise NotFoundError(f"no demo message {message_id[:200]!r}")
    try:
        parsed = _parse(box, message_id)
    except KeyError:
        raise NotFoundError(f"no demo message {message_id[:200]!r}") from None
    summary = _summary(message_id, parsed, _delivered(message_id))
    text, html = _bodies(parsed)
    headers = [(k, str(v)) for k, v in parsed.items()]
    return DemoMessage(**summary.model_dump(), text=text, html=html, headers=headers)


def _open(workspace: Path) -> mailbox.Maildir | None:
    path = inbox_dir(workspace)
    return mailbox.Maildir(path, create=False) if (path / "cur").is_dir() else None


def _delivered(key: str) -> float:
    """Delivery time from the key (the stdlib's Maildir names files after it)."""
    found = _STAMP.match(key)
    if found is None:  # not a key our sink wrote: sorts last
        return 0.0
    return int(found[1]) + int(found[2] or 0) / 1e6


def _parse(box: mailbox.Maildir, key: str) -> EmailMessage:
    with box.get_file(key) as f:
        raw = f.read()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)  # what policy.default builds
    return parsed


def _summary(key: str, msg: EmailMessage, delivered: float) -> DemoMessageSummary:
    text, _ = _bodies(msg)
    return DemoMessageSummary(
        message_id=key,
        received_at=_received_at(msg, delivered),
        from_=_header(msg, "From"),
        to=_header(msg, "Delivered-To") or _header(msg, "To"),
        subject=_header(msg, "Subject"),
        preview=" ".join(text.split())[:PREVIEW_CHARS],
    )


def _received_at(msg: EmailMessage, delivered: float) -> datetime:
    received = _header(msg, "Received").rpartition(";")[2].strip()
    try:
        return parsedate_to_datetime(received).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.fromtimestamp(delivered, UTC)


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError):  # a header the parser cannot decode: show nothing
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _bodies(msg: EmailMessage) -> tuple[str, str | None]:
    """(plain text, HTML or None): the text part if any, else the HTML part as text."""
    text = html = None
    for part in msg.walk():
        kind = part.get_content_type()
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        if kind == "text/plain" and text is None:
            text = _content(part)
        elif kind == "text/html" and html is None:
            html = _content(part)
    return (text if text is not None else text_from_html(html or "")), html


def _content(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
