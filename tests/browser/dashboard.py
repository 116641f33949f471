"""Drive the dashboard in Debian's Chromium: sign in, crawl the pages a user can reach from the
navigation (one level of links below each area), and record what went wrong on each page:
console errors, uncaught exceptions and any answer of 400 or more. Used by
tests/browser/test_dashboard.py and by tests/browser/screenshots.py (docs/screenshots/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip
LANGUAGES = ("vi", "en")
LINKS_PER_AREA = 3
# Links that change state or leave the page's HTML (downloads) are not followed by the crawl.
SKIP_SUFFIXES = (".csv", ".parquet", "/export", "/download", "/logout")


@dataclass
class PageVisit:
    path: str
    language: str
    problems: list[str] = field(default_factory=list)
    html_lang: str | None = None


class Tab:
    """One signed-in browser tab that notes problems per visit."""

    def __init__(self, browser: Any, base: str, *, width: int = 1366) -> None:
        self.base = base
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status} {response.url}")

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("form[action='/login'] button[type=submit]")

    def visit(self, path: str, language: str, *, shot: Path | None = None) -> PageVisit:
        self.problems.clear()
        sep = "&" if "?" in path else "?"
        self.page.goto(f"{self.base}{path}{sep}lang={language}")
        self.page.wait_for_load_state("networkidle")
        visit = PageVisit(path, language, list(self.problems))
        visit.html_lang = self.page.get_attribute("html", "lang")
        if shot is not None:
            quality = {"quality": 70} if shot.suffix == ".jpg" else {}
            self.page.screenshot(path=str(shot), full_page=True, **quality)
        return visit

    def nav_paths(self) -> list[str]:
        return list(self.page.eval_on_selector_all("nav a", "els => els.map(e => e.pathname)"))

    def area_links(self, root: str, limit: int = LINKS_PER_AREA) -> list[str]:
        """Up to ``limit`` distinct pages below ``root`` linked from the current page."""
        hrefs = self.page.eval_on_selector_all(
            "main a[href]", "els => els.map(e => e.getAttribute('href'))"
        )
        found: dict[str, str] = {}
        for href in hrefs:
            path = urlsplit(href).path
            if path.startswith(root + "/") and not path.endswith(SKIP_SUFFIXES):
                found.setdefault(_kind(path), path)
        return list(found.values())[:limit]

    def post_forms(self) -> list[str]:
        """The actions of the state-changing forms on the current page."""
        return list(
            self.page.eval_on_selector_all(
                "form[method=post], form[method=POST]",
                "els => els.map(e => new URL(e.action, location.href).pathname)",
            )
        )


def crawl(
    tab: Tab,
    *,
    shots: Path | None = None,
    per_area: int = LINKS_PER_AREA,
    extra: tuple[str, ...] = (),
    suffix: str = "png",
) -> tuple[list[PageVisit], set[str]]:
    """Every navigation area and a few pages below each (and ``extra``), in both languages;
    returns the visits and every POST form action seen on the way."""
    tab.visit("/home", "vi")
    visits: list[PageVisit] = []
    actions: set[str] = set()
    paths = [p for area in tab.nav_paths() for p in [area, *_below(tab, area, per_area)]]
    for path in [*paths, *extra]:
        for language in LANGUAGES:
            shot = shots / f"{page_name(path)}.{language}.{suffix}" if shots else None
            visits.append(tab.visit(path, language, shot=shot))
            actions.update(tab.post_forms())
    return visits, actions


def _below(tab: Tab, area: str, limit: int) -> list[str]:
    tab.visit(area, "vi")
    return tab.area_links(area, limit)


def _kind(path: str) -> str:
    """One page per kind: ``/segments/seg_1`` and ``/segments/seg_2`` are both a segment."""
    head, _, last = path.rpartition("/")
    return head + ("/{id}" if any(c.isdigit() for c in last) else "/" + last)


def page_name(path: str) -> str:
    return path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "root"
