"""The report pages in headless Chromium against a real `unicx serve`: plotly (from the wheel)
draws every chart under the Content-Security-Policy, with no console error and no failed
request, in both languages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess
from tests.reports.data import load_shop
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.workspace import open_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
JUNE = "from=2024-06-01&to=2024-06-30"
PAGES = [f"/reports/{name}?{JUNE}&lang={lang}" for lang in ("vi", "en")
         for name in ("geography", "products", "affinity", "funnel", "cohorts")]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture
def analyst(workspace: Workspace) -> tuple[str, str]:
    """The shop of tests/reports and an analyst, written before the server opens the store."""
    store = open_store(workspace.settings)
    try:
        load_shop(store)
        email = "analyst@shop.example.com"
        return email, UserService(store).create(email, Role.analyst).password
    finally:
        store.close()


def test_charts_draw_without_console_errors(
    analyst: tuple[str, str], server: ServerProcess
) -> None:
    if os.environ.get("UNICX_SKIP_BROWSER") == "1":
        pytest.skip("UNICX_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail("needs Chromium: apt-get install -y --no-install-recommends chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            _visit(browser.new_page(), server.url, analyst)
        finally:
            browser.close()


def _visit(page: Any, base: str, who: tuple[str, str]) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    # Chromium asks for /favicon.ico on its own (the dashboard has none); not a page's request.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{base}/login")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/home")
    for path in PAGES:
        page.goto(base + path.replace("affinity?", "affinity?min_count=1&"))
        page.wait_for_selector(".chart .main-svg", timeout=30_000)
        assert page.locator(".chart .gtitle").first.text_content(), path
    assert problems == []
