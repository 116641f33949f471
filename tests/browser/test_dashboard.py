"""The dashboard in a real browser against a real server: every page in both languages with no
console error and no failed request; the roles' limits and CSRF on every form the crawl finds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.dashboard import ARGS, CHROMIUM, Tab, crawl
from tests.helpers import ServerProcess, bearer, eventually
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.config import load_settings
from unicx.demo.generator import batches, generate_events
from unicx.workspace import init_workspace, open_store

pytestmark = pytest.mark.slow
# Forms every signed-in user may post (their own session and password).
OWN_FORMS = {"/logout", "/account/password"}


@dataclass
class Site:
    server: ServerProcess
    passwords: dict[Role, str]
    secret_key: str

    def email(self, role: Role) -> str:
        return f"{role.value}@shop.example.com"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("UNICX_SKIP_BROWSER") == "1":
        pytest.skip("UNICX_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail("the dashboard test needs Chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served workspace with one user per role and a few days of a shop's events."""
    path = tmp_path_factory.mktemp("dash") / "ws"
    settings = load_settings(workspace=path)
    keys = init_workspace(settings)
    store = open_store(settings)
    try:
        service = UserService(store)
        passwords = {r: service.create(f"{r.value}@shop.example.com", r).password for r in Role}
    finally:
        store.close()
    server = ServerProcess(path).start(timeout=120)
    try:
        _load_events(server, keys.write_key, keys.secret_key)
        yield Site(server, passwords, keys.secret_key)
    finally:
        if server.proc is not None:
            server.stop()


def _load_events(server: ServerProcess, write_key: str, secret_key: str) -> None:
    sent = 0
    with httpx.Client(base_url=server.url, auth=(write_key, ""), timeout=60) as client:
        for batch in batches(generate_events(users=40, seed=5), 200):
            res = client.post("/v1/batch", json={"batch": batch})
            assert res.status_code == 200, res.text
            sent += len(batch)
    with httpx.Client(base_url=server.url, headers=bearer(secret_key), timeout=60) as admin:
        eventually(lambda: admin.get("/v1/pipeline").json()["lag_s"] == 0, "the pipeline")
        assert admin.get("/v1/events?limit=1").status_code == 200


def _tab(browser: Any, site: Site, role: Role) -> Tab:
    tab = Tab(browser, site.server.url)
    tab.sign_in(site.email(role), site.passwords[role])
    return tab


def test_every_page_in_both_languages(browser: Any, site: Site) -> None:
    shots = Path(os.environ["UNICX_SCREENSHOTS"]) if os.environ.get("UNICX_SCREENSHOTS") else None
    tab = _tab(browser, site, Role.admin)
    visits, _ = crawl(tab, shots=shots)
    assert len({v.path for v in visits}) >= 8, [v.path for v in visits]
    for visit in visits:
        assert visit.html_lang == visit.language, visit
        assert visit.problems == [], (visit.path, visit.language, visit.problems)


def test_roles_see_no_write_controls_and_forged_posts_are_refused(browser: Any, site: Site) -> None:
    """Every form the admin can post is refused (403) for a viewer holding a valid session and
    CSRF token, and refused for the admin without the token."""
    admin = _tab(browser, site, Role.admin)
    _, actions = crawl(admin)
    writes = sorted(actions - OWN_FORMS)
    assert writes, "the crawl found no write forms"
    viewer = _tab(browser, site, Role.viewer)
    _, viewer_actions = crawl(viewer)
    assert viewer_actions <= OWN_FORMS, viewer_actions
    token = viewer.page.get_attribute("input[name=csrf_token]", "value")
    for action in writes:
        forged = viewer.page.request.post(site.server.url + action, form={"csrf_token": token})
        assert forged.status == 403, (action, forged.status)
        no_token = admin.page.request.post(site.server.url + action, form={"x": "1"})
        assert no_token.status == 403, (action, no_token.status)
