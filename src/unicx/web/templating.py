"""Jinja2 environments (one per language, with its catalog installed) and page rendering.

Templates never hold a user-visible string outside ``_()``/``{% trans %}``: tests/web compare
the extracted ids with the Vietnamese catalog. Autoescape is on for every template.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from unicx.auth.models import Permission
from unicx.web.i18n import LANGUAGES, Formatter, translations
from unicx.web.nav import areas
from unicx.web.session import WebUser

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def language_links(request: Request) -> dict[str, str]:
    """The current URL with ``lang`` set to each language (the switch on every page)."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {lang: f"{request.url.path}?{urlencode({**query, 'lang': lang})}" for lang in LANGUAGES}


def render(
    request: Request,
    template: str,
    *,
    user: WebUser | None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page (or an htmx fragment) in the request's language."""
    language = request.state.language
    zone = ZoneInfo(request.app.state.ctx.settings.timezone)
    env = environment(language)
    page = env.get_template(template).render(
        request=request,
        user=user,
        lang=language,
        fmt=Formatter(language, zone),
        nav=areas(request, user),
        language_links=language_links(request),
        csrf_token=user.csrf_token if user else request.state.login_csrf,
        can=(lambda p: user is not None and user.can(Permission(p))),
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=dict(headers or {}))
