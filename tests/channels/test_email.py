"""The e-mail channel against real SMTP servers on loopback (aiosmtpd): MIME parts and
headers, Vietnamese text, tracking links, one reused connection, error mapping, AUTH and TLS."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import Workspace
from tests.helpers import LOOPBACK, free_port
from tests.smtp import Inbox
from tests.smtp import start as _start
from unicx.channels import tracking
from unicx.channels.base import (
    ChannelContext,
    OutboundMessage,
    RetryableSendError,
    TerminalSendError,
    get_channel,
)
from unicx.channels.email import EmailChannel, SmtpConfig, text_from_html
from unicx.store import Store
from unicx.workspace import open_store


@dataclass
class Smtp:
    inbox: Inbox
    port: int
    controller: Controller


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    inbox, port = Inbox(), free_port()
    server = Smtp(inbox, port, _start(inbox, port))
    try:
        yield server
    finally:
        server.controller.stop()  # the current one: a test may have restarted it


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def channel(store: Store, workspace: Workspace) -> EmailChannel:
    cls = get_channel("email")
    assert cls is EmailChannel
    # The test SMTP server listens on loopback, which only an allow-list lets through.
    settings = workspace.settings.model_copy(update={"outbound_allow": LOOPBACK})
    return EmailChannel(ChannelContext(store, settings))


HTML = (
    "<p>Chào Ánh,</p>"
    '<p><a href="https://shop.example.vn/p/1?a=1&amp;b=2">Áo dài</a></p>'
    '<p><a href="mailto:hotro@shop.example.vn">Hỗ trợ</a></p>'
    '<p><a href="{unsub}">Hủy đăng ký</a></p>'
)


def _message(
    message_id: str = "run1.email.3",
    address: str = "anh.nguyen@example.vn",
    links: dict[str, str] | None = None,
    **content: Any,
) -> OutboundMessage:
    parts = {"subject": "Chào Nguyễn Thị Ánh, ưu đãi 50% hôm nay", "html": "<p>Xin chào</p>"}
    return OutboundMessage(
        message_id=message_id,
        profile_id="prof-1",
        channel="email",
        address=address,
        content={**parts, **content},
        links=links or {},
    )


def _config(port: int, **kwargs: Any) -> SmtpConfig:
    defaults = {"from_address": "shop@example.vn", "from_name": "Cửa hàng Việt", "timeout_s": 5}
    return SmtpConfig(port=port, **{**defaults, **kwargs})


def _links(store: Store, workspace: Workspace, message_id: str) -> dict[str, str]:
    with store.session() as s, s.transaction():
        return tracking.links_for(s, workspace.settings, message_id)


def test_vietnamese_headers_parts_and_tracking(
    smtp: Smtp, channel: EmailChannel, store: Store, workspace: Workspace
) -> None:
    links = _links(store, workspace, "run1.email.3")
    html = HTML.format(unsub=links["unsubscribe"])
    result = channel.send(
        _message(links=links, html=html, preheader="Giảm giá cuối tuần"),
        _config(smtp.port, reply_to="cskh@example.vn"),
    )
    assert result.provider_id == "<run1.email.3@unicx>"
    (got,) = smtp.inbox.messages
    assert got["Subject"] == "Chào Nguyễn Thị Ánh, ưu đãi 50% hôm nay"
    assert got["From"].addresses[0].display_name == "Cửa hàng Việt"
    assert got["From"].addresses[0].addr_spec == "shop@example.vn"
    assert got["To"] == "anh.nguyen@example.vn"
    assert got["Reply-To"] == "cskh@example.vn"
    assert got["Message-ID"] == "<run1.email.3@unicx>"
    assert got["X-Unicx-Message-Id"] == "run1.email.3"
    assert got["List-Unsubscribe"] == f"<{links['unsubscribe']}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp.inbox.envelopes[0].rcpt_tos == ["anh.nguyen@example.vn"]

    assert got.get_content_type() == "multipart/alternative"
    text_part = got.get_body(("plain",))
    html_part = got.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, body = text_part.get_content(), html_part.get_content()
    # The text part is derived from the HTML and keeps the real URLs, untracked.
    assert "Chào Ánh," in text and "Áo dài (https://shop.example.vn/p/1?a=1&b=2)" in text
    assert "/v1/t/click/" not in text and "<p>" not in text

    # Click tracking: http(s) links go through a signed redirect, mailto and unsubscribe not.
    assert 'href="https://shop.example.vn/p/1' not in body
    assert 'href="mailto:hotro@shop.example.vn"' in body
    assert f'href="{links["unsubscribe"]}"' in body
    start = body.index(links["click_base"])
    href = body[start : body.index('"', start)]
    token = unquote(urlsplit(href).path.rsplit("/", 1)[1])
    with store.session() as s:
        payload = tracking.verify(s, token, "c")
    assert payload == {"k": "c", "m": "run1.email.3", "u": "https://shop.example.vn/p/1?a=1&b=2"}
    # The open pixel, last, and the preheader, first (hidden).
    assert body.rstrip().endswith('width="1" height="1" alt="">')
    assert links["open"] in body
    assert body.startswith('<div style="display:none') and "Giảm giá cuối tuần" in body


def test_no_tracking_when_disabled_and_explicit_text(
    smtp: Smtp, channel: EmailChannel, store: Store, workspace: Workspace
) -> None:
    links = _links(store, workspace, "m-plain")
    html = '<p><a href="https://shop.example.vn/">Shop</a></p>'
    channel.send(
        _message("m-plain", links=links, html=html, text="Văn bản riêng"),
        _config(smtp.port, track_opens=False, track_clicks=False),
    )
    (got,) = smtp.inbox.messages
    body = got.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'href="https://shop.example.vn/"' in body and "/v1/t/" not in body
    assert got.get_body(("plain",)).get_content().strip() == "Văn bản riêng"  # type: ignore[union-attr]


def test_no_unsubscribe_header_without_link(smtp: Smtp, channel: EmailChannel) -> None:
    channel.send(_message("m-tx"), _config(smtp.port))
    (got,) = smtp.inbox.messages
    assert got["List-Unsubscribe"] is None and got["List-Unsubscribe-Post"] is None


def test_same_message_id_on_resend(smtp: Smtp, channel: EmailChannel) -> None:
    odd = "run 7/ngày:email.1"
    channel.send(_message(odd), _config(smtp.port))
    channel.send(_message(odd), _config(smtp.port))
    first, second = smtp.inbox.messages
    assert first["Message-ID"] == second["Message-ID"] == "<run-7-ng-y-email.1@unicx>"


def test_header_injection_stays_on_one_line(smtp: Smtp, channel: EmailChannel) -> None:
    channel.send(
        _message(subject="Khuyến mãi\r\nBcc: attacker@evil.example\r\n"), _config(smtp.port)
    )
    (got,) = smtp.inbox.messages
    assert got["Bcc"] is None
    assert got["Subject"] == "Khuyến mãi Bcc: attacker@evil.example"
    assert smtp.inbox.envelopes[0].rcpt_tos == ["anh.nguyen@example.vn"]


@pytest.mark.parametrize(
    "address",
    ["not an email", "", "a@@b.vn", "<a@b.vn>", "a@b.vn\r\nBcc: x@evil.example", "a b@c.vn"],
)
def test_bad_address_is_a_terminal_bounce(smtp: Smtp, channel: EmailChannel, address: str) -> None:
    with pytest.raises(TerminalSendError) as err:
        channel.send(_message(address=address), _config(smtp.port))
    assert err.value.bounce is True
    assert smtp.inbox.messages == []


def test_one_connection_for_many_sends(smtp: Smtp, channel: EmailChannel) -> None:
    config, n = _config(smtp.port), 300
    channel.send(_message("warm"), config)
    for i in range(n):
        channel.send(_message(f"bulk.{i}", html=f"<p>Tin số {i}</p>"), config)
    assert len(smtp.inbox.messages) == n + 1
    assert len(smtp.inbox.peers) == 1  # every message went over one SMTP session
    # (Throughput is measured in bench/journeys.py, never asserted here.)


def test_reconnects_once_after_the_server_dropped_the_connection(
    smtp: Smtp, channel: EmailChannel
) -> None:
    config = _config(smtp.port)
    channel.send(_message("before"), config)
    smtp.controller.stop()  # closes the kept-alive connection
    smtp.controller = _start(smtp.inbox, smtp.port)
    channel.send(_message("after"), config)
    assert [m["X-Unicx-Message-Id"] for m in smtp.inbox.messages] == ["before", "after"]
    assert len(smtp.inbox.peers) == 2


def test_server_down_is_retryable(channel: EmailChannel) -> None:
    with pytest.raises(RetryableSendError, match="unreachable"):
        channel.send(_message(), _config(free_port()))


def test_recipient_replies(smtp: Smtp, channel: EmailChannel) -> None:
    config = _config(smtp.port)
    with pytest.raises(TerminalSendError, match="550") as err:
        channel.send(_message(address="nobody@example.vn"), config)
    assert err.value.bounce is True
    with pytest.raises(RetryableSendError, match="451"):
        channel.send(_message(address="busy@example.vn"), config)
    # The connection is still usable after both refusals.
    channel.send(_message("ok"), config)
    assert [m["X-Unicx-Message-Id"] for m in smtp.inbox.messages] == ["ok"]
    assert len(smtp.inbox.peers) == 1


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"shop",
        b"mat-khau 2024!",
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server replies 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_success_and_failure(channel: EmailChannel) -> None:
    inbox, port = Inbox(), free_port()
    controller = _start(
        inbox, port, authenticator=_authenticator, auth_required=True, auth_require_tls=False
    )
    try:
        with pytest.raises(RetryableSendError, match="authentication failed"):
            channel.send(_message("bad"), _config(port, username="shop", password="sai"))
        with pytest.raises(RetryableSendError, match="530"):  # no credentials: MAIL refused
            channel.send(_message("none"), _config(port))
        channel.send(_message("good"), _config(port, username="shop", password="mat-khau 2024!"))
        assert [m["X-Unicx-Message-Id"] for m in inbox.messages] == ["good"]
    finally:
        controller.stop()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made offline with the cryptography package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_and_implicit_tls(
    channel: EmailChannel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("cryptography")
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    starttls_port, tls_port = free_port(), free_port()
    starttls = _start(inbox, starttls_port, tls_context=server_ctx, require_starttls=True)
    implicit = _start(inbox, tls_port, ssl_context=server_ctx)
    try:
        # The server's certificate is not trusted yet: a config problem, messages wait.
        with pytest.raises(RetryableSendError, match="CERTIFICATE_VERIFY_FAILED"):
            channel.send(_message("untrusted"), _config(starttls_port, security="starttls"))
        with pytest.raises(RetryableSendError, match="530"):  # STARTTLS required, not done
            channel.send(_message("plain"), _config(starttls_port))
        # Trust it the way an operator would (the system CA file, read by OpenSSL).
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        channel.send(_message("starttls"), _config(starttls_port, security="starttls"))
        channel.send(_message("tls"), _config(tls_port, security="tls"))
    finally:
        starttls.stop()
        implicit.stop()
    assert [m["X-Unicx-Message-Id"] for m in inbox.messages] == ["starttls", "tls"]


def test_text_from_html() -> None:
    source = (
        "<html><head><style>p{color:red}</style></head><body><h1>Ưu đãi</h1>"
        "<p>Giá &lt; 100k &amp; miễn phí</p><br>"
        '<a href="https://x.vn/a">Xem</a><script>alert(1)</script></body></html>'
    )
    assert text_from_html(source) == "Ưu đãi\nGiá < 100k & miễn phí\n\nXem (https://x.vn/a)"


def test_config_is_strict() -> None:
    with pytest.raises(ValueError):
        SmtpConfig.model_validate({"host": "smtp.example.vn", "tls": True})
    with pytest.raises(ValueError):
        SmtpConfig.model_validate({"from_address": "not-an-address"})
    with pytest.raises(ValueError):
        SmtpConfig.model_validate({"security": "ssl"})
    with pytest.raises(ValueError, match="password"):  # smtplib's AUTH is ASCII-only
        SmtpConfig.model_validate({"username": "shop", "password": "mật-khẩu"})


class _Crash(BaseException):
    """Stands for the process dying inside the handover (a SIGKILL runs no handler either)."""


def test_handover_comes_just_before_the_end_of_data(smtp: Smtp, channel: EmailChannel) -> None:
    seen: list[int] = []
    message = _message("h.1")
    message = dataclasses.replace(message, handover=lambda: seen.append(len(smtp.inbox.messages)))
    sent = channel.send(message, _config(smtp.port))
    assert seen == [0]  # called once, while the server did not have the message yet
    assert len(smtp.inbox.messages) == 1 and sent.detail is None


def test_a_crash_in_the_handover_leaves_the_server_without_the_message(
    smtp: Smtp, channel: EmailChannel
) -> None:
    def crash() -> None:
        raise _Crash

    config = _config(smtp.port)
    with pytest.raises(_Crash):
        channel.send(dataclasses.replace(_message("h.2"), handover=crash), config)
    channel._close()  # the dead process's socket closes mid-DATA: the server drops the message
    channel.send(_message("h.2"), config)  # what recovery does for a message not handed over
    assert [m["X-Unicx-Message-Id"] for m in smtp.inbox.messages] == ["h.2"]


def test_a_lost_reply_after_the_end_of_data_is_not_resent(channel: EmailChannel) -> None:
    inbox, port = Inbox(delay=1.5), free_port()  # the reply to "." comes too late
    controller = _start(inbox, port)
    try:
        sent = channel.send(_message("h.3"), _config(port).model_copy(update={"timeout_s": 0.5}))
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert sent.detail is not None and "not resent" in sent.detail


def test_a_non_ascii_domain_goes_as_utf8_to_an_smtputf8_server(channel: EmailChannel) -> None:
    inbox, port = Inbox(), free_port()
    controller = _start(inbox, port, enable_SMTPUTF8=True)
    try:
        long_subject = "Ưu đãi cuối tuần dành riêng cho bạn: giảm 50% toàn bộ áo dài " * 2
        channel.send(
            _message("intl", address="anh.nguyen@ví-dụ.vn", subject=long_subject),
            _config(port),
        )
        (got,) = inbox.messages
        assert "SMTPUTF8" in inbox.envelopes[0].mail_options
        assert inbox.envelopes[0].rcpt_tos == ["anh.nguyen@ví-dụ.vn"]
        assert got["To"] == "anh.nguyen@ví-dụ.vn"  # as UTF-8, not an encoded word
        assert got["Subject"] == long_subject.strip()
        assert got["From"].addresses[0].display_name == "Cửa hàng Việt"
    finally:
        controller.stop()


def test_long_vietnamese_subjects_and_names_survive_folding(
    smtp: Smtp, channel: EmailChannel
) -> None:
    subject = "Chào Nguyễn Thị Ánh, " + "ưu đãi lớn nhất năm cho khách hàng thân thiết " * 4
    name = "Cửa hàng thời trang Việt Nam chính hãng " * 3
    channel.send(_message("long", subject=subject), _config(smtp.port, from_name=name))
    (got,) = smtp.inbox.messages
    raw = smtp.inbox.envelopes[0].content
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()  # an ASCII recipient: every header and part 7-bit clean
    assert got["Subject"] == " ".join(subject.split())
    assert got["From"].addresses[0].display_name == " ".join(name.split())
    assert got["From"].addresses[0].addr_spec == "shop@example.vn"
