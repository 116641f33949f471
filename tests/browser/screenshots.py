"""Screenshots of every dashboard page the crawl reaches, in both languages, for docs/.

    make demo            # in another terminal; note the dashboard login it prints
    .venv/bin/python -m tests.browser.screenshots --base http://127.0.0.1:8000 \\
        --email admin@localhost --password … --out docs/screenshots

Writes ``<page>.<vi|en>.png`` and an index (docs/screenshots/README.md) and prints every page
that had a console error or a failed request (then fix it before publishing the pictures).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.browser.dashboard import ARGS, CHROMIUM, Tab, crawl, page_name

SEARCH = "/profiles?q=nguyen"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        tab = Tab(browser, args.base, width=1280)
        tab.sign_in(args.email, args.password)
        tab.visit(SEARCH, "vi")
        person = tab.area_links("/profiles", 1)  # the first hit's Profile 360
        visits, _ = crawl(tab, shots=args.out, per_area=8, extra=(SEARCH, *person), suffix="jpg")
        browser.close()
    _index(args.out, [(v.path, v.language) for v in visits])
    bad = [v for v in visits if v.problems]
    for visit in bad:
        print(visit.path, visit.language, visit.problems)
    return 1 if bad else 0


def _index(out: Path, pages: list[tuple[str, str]]) -> None:
    lines = ["# Dashboard screenshots", "", "Made by `python -m tests.browser.screenshots` "
             "on the demo workspace (`make demo`).", ""]  # fmt: skip
    for path, language in pages:
        name = f"{page_name(path)}.{language}.jpg"
        lines += [f"## `{path}` ({language})", "", f"![{path} {language}]({name})", ""]
    (out / "README.md").write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
