"""Dashboard page times on a real server: every page the navigation reaches (and a few below
each area), plus the heavy interactions named in issue 17 (profile search, Profile 360, the
segment builder's live count), each the median of ``--repeat`` loopback requests.

    .venv/bin/python bench/dashboard.py --workspace demo-workspace    # the demo (stopped)
    .venv/bin/python bench/dashboard.py --people 1000000    # 1M / 20M, bench/audience_data.py

The baseline, measured in the same run, is the sign-in page: a template rendered with no data,
so each ratio says what a page's data costs beyond rendering. Times are client-side over
loopback (request to last byte), an upper bound of server time. The server is stopped after.
"""

from __future__ import annotations

import argparse
import html.parser
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audience_data import DEFAULT_OUT, ensure_workspace  # noqa: E402

from unicx.auth.models import Role  # noqa: E402
from unicx.auth.users import UserService  # noqa: E402
from unicx.config import load_settings  # noqa: E402
from unicx.workspace import open_store  # noqa: E402

LINK = re.compile(r'<a [^>]*href="(/[^"?#]*)')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PER_AREA = 3
SKIP = (".csv", ".parquet", "/export", "/download", "/logout")


def _user(workspace: Path) -> tuple[str, str]:
    store = open_store(load_settings(workspace=workspace))
    try:
        email = f"bench-{int(time.time())}@example.com"
        return email, UserService(store).create(email, Role.admin).password
    finally:
        store.close()


def _serve(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "unicx.cli.main", "serve", "--workspace", str(workspace),
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def _sign_in(client: httpx.Client, email: str, password: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token, "no CSRF field on /login"
    res = client.post("/login", data={"email": email, "password": password,
                                      "csrf_token": token.group(1)})  # fmt: skip
    assert res.status_code == 303, res.text


def timed_ms(call: Callable[[], httpx.Response], repeat: int) -> tuple[float, float]:
    """(median of ``repeat`` calls, the first call before them): the first one meets a cold
    template, an empty cache, the first use of a service, so it is reported apart."""
    start = time.perf_counter()
    call()
    first = (time.perf_counter() - start) * 1000
    return median_ms(call, repeat), first


def median_ms(call: Callable[[], httpx.Response], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        res = call()
        times.append((time.perf_counter() - start) * 1000)
        if res.status_code >= 400:
            raise SystemExit(f"{res.request.url} answered {res.status_code}")
    return statistics.median(times)


def pages(client: httpx.Client) -> list[str]:
    """The navigation's areas and a few pages linked below each."""
    home = client.get("/home").text
    nav = home[home.find("<nav") : home.find("</nav>")]
    found: list[str] = []
    for area in dict.fromkeys(LINK.findall(nav)):
        found.append(area)
        below = [p for p in LINK.findall(client.get(area).text)
                 if p.startswith(area + "/") and not p.endswith(SKIP)]  # fmt: skip
        found.extend(list(dict.fromkeys(below))[:PER_AREA])
    return list(dict.fromkeys(found))


class _FormFields(html.parser.HTMLParser):
    """The name/value pairs a browser would post for the form with ``id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, ""
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag in ("input", "textarea") and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif self.inside and tag == "select":
            self.select = a.get("name", "")
        elif self.inside and tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = ""


def live_count(client: httpx.Client, repeat: int) -> tuple[str, float] | None:
    """The segment builder's live count (POST /segments/preview) for the first saved segment,
    saving the first template when the workspace has none."""
    listing = client.get("/segments").text
    ids = re.findall(r'href="/segments/(seg_[^"/?#]+)"', listing)
    if not ids:
        keys = re.findall(r'action="/segments/templates/([^"]+)"', listing)
        token = CSRF.search(listing)
        if not keys or not token:
            return None
        client.post(f"/segments/templates/{keys[0]}", data={"csrf_token": token.group(1)})
        ids = re.findall(r'href="/segments/(seg_[^"/?#]+)"', client.get("/segments").text)
    page = client.get(f"/segments/{ids[0]}/edit").text
    parser = _FormFields("builder")
    parser.feed(page)
    token = CSRF.search(page)
    headers = {"X-CSRF-Token": token.group(1) if token else "", "HX-Request": "true",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    body = urlencode(parser.fields)
    post = lambda: client.post("/segments/preview", content=body, headers=headers)  # noqa: E731
    return f"POST /segments/preview ({ids[0]})", median_ms(post, repeat)


def run(workspace: Path, *, port: int, repeat: int, extra: list[str]) -> None:
    email, password = _user(workspace)
    proc = _serve(workspace, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            baseline = median_ms(lambda: client.get("/login"), repeat)
            _sign_in(client, email, password)
            print(f"baseline: sign-in page {baseline:.1f} ms (median of {repeat})")
            print("| page | median ms | x baseline | first ms |\n| --- | ---: | ---: | ---: |")
            for path in [*pages(client), *extra]:
                ms, first = timed_ms(lambda p=path: client.get(p), repeat)  # type: ignore[misc]
                print(f"| `{path}` | {ms:.1f} | {ms / baseline:.1f} | {first:.0f} |", flush=True)
            counted = live_count(client, repeat)
            if counted is not None:
                label, ms = counted
                print(f"| `{label}` | {ms:.1f} | {ms / baseline:.1f} | |")
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, help="an existing workspace (stopped)")
    parser.add_argument("--people", type=int, help="build/reuse the audience workspace")
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--page", action="append", default=[], help="also time this path")
    args = parser.parse_args()
    workspace = args.workspace
    if workspace is None:
        store, settings, _ = ensure_workspace(args.data, people=args.people or 1_000_000)
        store.close()  # the server opens it
        workspace = settings.workspace
    run(workspace, port=args.port, repeat=args.repeat, extra=args.page)


if __name__ == "__main__":
    main()
