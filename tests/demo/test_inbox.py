"""The demo inbox: a real e-mail sent with smtplib through the demo's SMTP sink, read back."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from unicx.demo.inbox import get_message, list_messages
from unicx.demo.sink import DemoSmtpSink, inbox_dir
from unicx.errors import NotFoundError, ValidationError


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[DemoSmtpSink]:
    with DemoSmtpSink(tmp_path) as running:
        yield running


def _send(sink: DemoSmtpSink, *, to: str, subject: str, html: str) -> None:
    msg = EmailMessage()
    msg["From"] = "Chợ Xinh <shop@choxinh.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Giỏ hàng của bạn vẫn đang chờ.\nXem: https://choxinh.example/gio-hang")
    msg.add_alternative(html, subtype="html")
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.send_message(msg)


def test_a_sent_email_is_listed_and_read_back(sink: DemoSmtpSink, tmp_path: Path) -> None:
    assert list_messages(tmp_path).total == 0
    html = "<p>Lan ơi, <b>giỏ hàng</b> đang chờ</p><script>alert(1)</script>"
    _send(sink, to="lan@gmail.com.example", subject="Lan ơi, giỏ hàng đang chờ", html=html)
    _send(sink, to="minh@yahoo.com.vn.example", subject="Second", html="<p>Hai</p>")

    page = list_messages(tmp_path, limit=10)
    assert page.total == 2
    newest, oldest = page.messages
    assert newest.subject == "Second"  # newest first
    assert oldest.subject == "Lan ơi, giỏ hàng đang chờ"  # RFC 2047 decoded
    assert oldest.from_ == "Chợ Xinh <shop@choxinh.example>"
    assert oldest.to == "lan@gmail.com.example"
    assert oldest.preview.startswith("Giỏ hàng của bạn vẫn đang chờ. Xem:")
    now = datetime.now(UTC)
    assert now - timedelta(minutes=1) < oldest.received_at <= now + timedelta(seconds=1)
    assert oldest.model_dump(by_alias=True)["from"] == oldest.from_

    full = get_message(tmp_path, oldest.message_id)
    assert full.html is not None and "<b>giỏ hàng</b>" in full.html  # as received
    assert "alert" not in full.preview
    assert ("Delivered-To", "lan@gmail.com.example") in full.headers
    assert (inbox_dir(tmp_path) / "new").is_dir()  # a Maildir any mail client opens

    second = list_messages(tmp_path, limit=1, offset=1)
    assert [m.message_id for m in second.messages] == [oldest.message_id]


def test_html_only_mail_gets_a_text_preview(sink: DemoSmtpSink, tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@x.example", "b@y.example", "Chỉ HTML"
    msg.set_content('<p>Xin chào</p><style>p{}</style><a href="https://x.example/">Mua</a>', "html")
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.send_message(msg)
    (summary,) = list_messages(tmp_path).messages
    assert summary.preview == "Xin chào Mua (https://x.example/)"


def test_unknown_or_hostile_ids_are_not_found(sink: DemoSmtpSink, tmp_path: Path) -> None:
    for bad in ("nope", "../../unicx.duckdb", "new/x", ""):
        with pytest.raises(NotFoundError):
            get_message(tmp_path, bad)
    with pytest.raises(ValidationError):
        list_messages(tmp_path, limit=0)


def test_no_inbox_yet_is_empty(tmp_path: Path) -> None:
    assert list_messages(tmp_path / "elsewhere").messages == []
    with pytest.raises(NotFoundError):
        get_message(tmp_path / "elsewhere", "1.M1P1Q1.host")
