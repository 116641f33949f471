"""Demo inbox: the demo SMTP sink's mail, listed and opened; the mail's HTML stays inert."""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.web.conftest import Dashboard
from unicx.auth.models import Role
from unicx.demo import DEMO_MARKER
from unicx.demo.sink import inbox_dir
from unicx.web.app import create_app

EVIL = '<p>Xin chào Lan</p><script>alert("x")</script><img src=x onerror="alert(1)">'


def _deliver(workspace: Workspace, subject: str, html: str | None = None) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "shop@example.com", "lan@example.vn", subject
    mail.set_content("Giỏ hàng của bạn vẫn đang chờ.")
    if html is not None:
        mail.add_alternative(html, subtype="html")
    box = mailbox.Maildir(inbox_dir(workspace.path), create=True)
    box.add(mailbox.MaildirMessage(mail.as_bytes()))


@pytest.fixture
def demo(workspace: Workspace, users: dict[Role, str]) -> Iterator[Dashboard]:
    (workspace.path / DEMO_MARKER).write_text("")
    _deliver(workspace, "Bạn quên gì trong giỏ hàng?", EVIL)
    _deliver(workspace, "Plain only")
    with TestClient(create_app(workspace.settings), follow_redirects=False) as client:
        yield Dashboard(client, users)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_inbox_lists_received_mail(demo: Dashboard, lang: str) -> None:
    page = demo.sign_in(Role.analyst).get(f"/demo-inbox?lang={lang}")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert "Bạn quên gì trong giỏ hàng?" in page.text and "lan@example.vn" in page.text
    assert 'href="/demo-inbox"' in page.text  # the navigation offers it in a demo workspace


def test_message_html_only_in_a_sandboxed_frame(demo: Dashboard) -> None:
    client = demo.sign_in(Role.analyst)
    listed = client.get("/demo-inbox").text
    found = re.search(r'href="/demo-inbox/([^"]+)">Bạn quên gì', listed)
    assert found, listed
    link = found.group(1)
    page = client.get(f"/demo-inbox/{link}")
    assert page.status_code == 200
    assert '<iframe class="mail-frame" sandbox=""' in page.text
    # The mail's markup is only ever an escaped attribute value or escaped text.
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "Giỏ hàng của bạn vẫn đang chờ." in page.text


def test_unknown_or_malformed_message_is_404(demo: Dashboard) -> None:
    client = demo.sign_in(Role.analyst)
    assert client.get("/demo-inbox/nope").status_code == 404
    assert client.get("/demo-inbox/..%2F..%2Funicx.duckdb").status_code == 404


def test_viewer_may_not_read_the_inbox(demo: Dashboard) -> None:
    assert demo.sign_in(Role.viewer).get("/demo-inbox").status_code == 403


def test_no_inbox_outside_a_demo_workspace(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    assert client.get("/demo-inbox").status_code == 404
    assert 'href="/demo-inbox"' not in client.get("/home").text
