"""The official browser SDKs, unchanged, in headless Chromium against a real unicx server.

The shop's page (its own origin) loads Segment's analytics.js or the RudderStack JS SDK from
the npm packages in tests/browser/node_modules (`npm ci --prefix tests/browser`), each pointed
at unicx only through its documented settings; the page identifies, views a page, tracks two
events; every call the browser sent must be stored exactly once (by messageId), and nothing
may go to any other host (the SDK vendors' CDNs, metrics, config services).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.pages import (
    MODULES,
    RUDDER_JS,
    RUDDER_PAGE,
    SEGMENT_JS,
    SEGMENT_PAGE,
    page,
    site,
)
from tests.conftest import Workspace
from tests.helpers import ServerProcess, bearer, eventually

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
INGEST_PATHS = ("/v1/t", "/v1/i", "/v1/p", "/v1/b", "/v1/track", "/v1/identify", "/v1/page",
                "/v1/batch", "/beacon/v1/batch")  # fmt: skip

pytestmark = pytest.mark.slow


def _require_browser() -> None:
    """Fail loudly, never skip silently: CI must run this test (UNICX_SKIP_BROWSER=1 opts out)."""
    if os.environ.get("UNICX_SKIP_BROWSER") == "1":
        pytest.skip("UNICX_SKIP_BROWSER=1")
    missing = []
    if not CHROMIUM.exists():
        missing.append("Chromium: apt-get install -y --no-install-recommends chromium")
    if not (SEGMENT_JS.exists() and RUDDER_JS.exists()):
        missing.append(f"the SDKs' npm packages in {MODULES}: npm ci --prefix tests/browser")
    if missing:
        pytest.fail("browser SDK test needs " + "; ".join(missing) + " (or UNICX_SKIP_BROWSER=1)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """One page view: every request the browser made, console errors, sent messageIds."""

    def __init__(self) -> None:
        self.hosts: set[str] = set()
        self.errors: list[str] = []
        self.sent: list[str] = []
        self.posts = 0

    def on_request(self, request: Any) -> None:
        self.hosts.add(urlsplit(request.url).netloc)
        if request.method == "POST" and urlsplit(request.url).path in INGEST_PATHS:
            self.posts += 1
            # A beacon's Blob body is not shown to Playwright: those ids are checked on the
            # server side only (four distinct calls stored, none twice).
            body = json.loads(request.post_data or '{"batch": []}')
            self.sent += [e["messageId"] for e in body.get("batch", [body])]


def _visit(browser: Any, url: str, *, expected_calls: int, server: ServerProcess) -> Visit:
    visit = Visit()
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.on("request", visit.on_request)
        tab.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
        tab.on("pageerror", lambda e: visit.errors.append(str(e)))
        tab.on("response", lambda r: r.status >= 400 and visit.errors.append(f"{r.status} {r.url}"))
        tab.on("requestfailed", lambda r: visit.errors.append(f"{r.failure} {r.url}"))
        tab.goto(url)
        # The sync API delivers the page's events only while it runs: wait through the page.
        pumped = partial(_pump, tab)
        eventually(pumped(lambda: visit.posts > 0), "the SDK to send")
        eventually(pumped(lambda: _stored(server, expected_calls)), "the calls to be stored")
        tab.wait_for_timeout(500)  # a late retry or duplicate would arrive now
    finally:
        context.close()
    return visit


def _pump(tab: Any, predicate: Callable[[], bool]) -> Callable[[], bool]:
    def check() -> bool:
        tab.wait_for_timeout(50)
        return predicate()

    return check


def _events(server: ServerProcess, secret: str) -> list[dict[str, Any]]:
    res = httpx.get(f"{server.url}/v1/events", params={"limit": 1000}, headers=bearer(secret))
    assert res.status_code == 200, res.text
    events: list[dict[str, Any]] = res.json()
    return events


def _stored(server: ServerProcess, count: int) -> bool:
    return len(_events(server, server.secret)) >= count  # type: ignore[attr-defined]


@pytest.fixture
def unicx(workspace: Workspace) -> Iterator[ServerProcess]:
    # A longer start-up allowance than the shared fixture's: Chromium shares the machine.
    server = ServerProcess(workspace.path).start(timeout=120)
    server.secret = workspace.secret_key  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def _check(visit: Visit, server: ServerProcess, site_url: str, user_id: str) -> None:
    assert visit.errors == [], visit.errors
    # Nothing left for a vendor's CDN, metrics or config service: only the shop and unicx.
    assert visit.hosts == {urlsplit(site_url).netloc, urlsplit(server.url).netloc}, visit.hosts
    events = _events(server, server.secret)  # type: ignore[attr-defined]
    ids = [e["messageId"] for e in events]
    assert len(ids) == len(set(ids)) == 4, "each call stored exactly once"
    assert set(visit.sent) <= set(ids)
    kinds = sorted((e["type"], e["event"]) for e in events)
    assert kinds == [("identify", None), ("page", None), ("track", "Order Completed"),
                     ("track", "Product Viewed")]  # fmt: skip
    assert {e["userId"] for e in events} == {user_id}
    assert len({e["anonymousId"] for e in events}) == 1
    (identify,) = [e for e in events if e["type"] == "identify"]
    assert identify["traits"]["email"] == f"{user_id.split('-')[0]}@example.vn"


SEGMENT_MODES = {
    "one-call-each": {},
    "batch": {"integrations": {"Segment.io": {
        "deliveryStrategy": {"strategy": "batching", "config": {"size": 4, "timeout": 300}}}}},
}  # fmt: skip


RUDDER_MODES = {
    "one-call-each": {},
    "batch": {"queueOptions": {"batch": {"enabled": True, "maxItems": 4, "flushInterval": 300}}},
    "beacon": {"useBeacon": True, "beaconQueueOptions": {"maxItems": 4, "flushQueueInterval": 300}},
}


def _shop(browser: Any, unicx: ServerProcess, html: bytes, user_id: str) -> None:
    with site({"/shop.html": html}) as site_url:
        visit = _visit(browser, f"{site_url}/shop.html", expected_calls=4, server=unicx)
    _check(visit, unicx, site_url, user_id)


@pytest.mark.parametrize("mode", list(SEGMENT_MODES))
def test_segment_analytics_next(browser: Any, workspace: Workspace, unicx: ServerProcess,
                                mode: str) -> None:  # fmt: skip
    options = SEGMENT_MODES[mode]
    html = page(SEGMENT_PAGE, write_key=workspace.write_key, unicx_url=unicx.url,
                load_options=options)  # fmt: skip
    _shop(browser, unicx, html, "lan-42")


@pytest.mark.parametrize("mode", list(RUDDER_MODES))
def test_rudderstack_js(browser: Any, workspace: Workspace, unicx: ServerProcess,
                        mode: str) -> None:  # fmt: skip
    html = page(RUDDER_PAGE, write_key=workspace.write_key, unicx_url=unicx.url,
                load_options=RUDDER_MODES[mode])  # fmt: skip
    _shop(browser, unicx, html, "minh-7")
