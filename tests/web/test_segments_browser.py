"""The segment builder in headless Chromium against a real server: build a condition with the
htmx controls, see the did-you-mean at the field, read the live count (equal to the API's
preview), save, and find the segment in the list; no console error, no 4xx/5xx request."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually
from unicx.auth.models import Role

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
DEFINITION = {"all": [{"event": "Order Completed", "within": "30d"}]}

pytestmark = pytest.mark.slow


@pytest.fixture
def browser() -> Iterator[Any]:
    if os.environ.get("UNICX_SKIP_BROWSER") == "1":
        pytest.skip("UNICX_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail("needs Chromium: apt-get install -y --no-install-recommends chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shop_server(users: dict[Role, str], server: ServerProcess, workspace: Workspace) -> str:
    """A served workspace where three of five people ordered."""
    events = ["Order Completed"] * 3 + ["Product Viewed"] * 2
    batch = [{"type": "track", "userId": f"u{n}", "event": e} for n, e in enumerate(events)]
    auth = basic(workspace.write_key)
    res = httpx.post(f"{server.url}/v1/batch", json={"batch": batch}, headers=auth)
    assert res.status_code == 200, res.text
    eventually(lambda: _api_count(server.url, workspace) == 3, "the orders are resolved")
    return server.url


def _api_count(url: str, workspace: Workspace) -> int:
    res = httpx.post(f"{url}/v1/segments/preview", json={"definition": DEFINITION},
                     headers=bearer(workspace.secret_key))  # fmt: skip
    return int(res.json()["count"]) if res.status_code == 200 else -1


def test_builder_in_chromium(
    browser: Any, shop_server: str, users: dict[Role, str], workspace: Workspace
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and "favicon" not in m.location.get("url", "") else None)  # fmt: skip
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.goto(f"{shop_server}/login?lang=en")
    page.fill("input[name=email]", f"{Role.marketer.value}@shop.example.com")
    page.fill("input[name=password]", users[Role.marketer])
    page.click("button[type=submit]")
    page.goto(f"{shop_server}/segments/new?lang=en")
    page.click("#node-0 > .seg-add button:has-text('Behaviour')")
    page.fill("input[name='n0-0.event']", "Order Complete")
    page.fill("input[name='n0-0.within_n']", "30")
    page.press("input[name='n0-0.within_n']", "Tab")
    page.wait_for_selector("#err-0-0-event:has-text('did you mean')")
    assert "Order Completed" in page.inner_text("#err-0-0-event")
    assert page.get_attribute("input[name='n0-0.event']", "aria-invalid") == "true"
    page.fill("input[name='n0-0.event']", "Order Completed")
    page.press("input[name='n0-0.event']", "Tab")
    page.wait_for_selector(".seg-count")
    assert int(page.get_attribute(".seg-count", "data-count")) == _api_count(shop_server, workspace)
    page.fill("#seg-name", "Buyers, 30 days")
    page.click("form#builder button[type=submit]")
    page.wait_for_url("**/segments/seg_*")
    page.goto(f"{shop_server}/segments")
    assert "Buyers, 30 days" in page.inner_text("main")
    assert problems == []
