"""The dashboard's static files: our one stylesheet and script, htmx (from the npm lock, see
the Makefile) and plotly.js (from the plotly wheel). Served by name from an allow-list, with a
day of browser caching; nothing comes from a CDN."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly
from fastapi import APIRouter
from starlette.responses import FileResponse

from unicx.errors import NotFoundError, UnavailableError

router = APIRouter(include_in_schema=False)
_HERE = Path(__file__).parent
HTMX = _HERE / "assets" / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"


@cache
def _files() -> dict[str, Path]:
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    own = {p.name: p for p in (_HERE / "static").iterdir() if p.is_file()}
    return {**own, "htmx.min.js": HTMX, "plotly.min.js": plotly_js}


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    path = _files().get(name)
    if path is None:
        raise NotFoundError(f"no static file {name!r}")
    if not path.exists():
        # Only htmx can be missing: installed by `make install` (npm ci), not by pip.
        raise UnavailableError(f"{name} is not installed; run `make install`")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
