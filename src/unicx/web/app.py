"""The whole server: the API (unicx.api.app) with the dashboard on the same origin.

The dashboard adds its pages, static files, HTML error pages on its own paths and the
security headers; ``/docs`` also opens for a signed-in dashboard user (unicx.api.docs)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from unicx.api.app import create_app as create_api
from unicx.api.context import AppContext
from unicx.auth.login_limit import LoginLimiter
from unicx.config import Settings
from unicx.demo import DEMO_MARKER
from unicx.web import (
    assets,
    demo_inbox,
    errors,
    home,
    journeys,
    login,
    messaging,
    models,
    profiles,
    reports,
    segments,
    settings,
)
from unicx.web.deps import check_csrf
from unicx.web.security import WebHeaders

# Each area's router (pages under its root, see unicx.web.nav); the order is the navigation's.
PAGES = (
    login, home, profiles, segments, reports, journeys, messaging, models, settings, demo_inbox,
)  # fmt: skip


def create_app(settings: Settings, *, context: AppContext | None = None) -> FastAPI:
    app = create_api(settings, context=context)
    install(app, settings)
    return app


def install(app: FastAPI, settings: Settings) -> None:
    app.state.login_limiter = LoginLimiter()
    app.state.demo = (settings.workspace / DEMO_MARKER).exists()
    app.include_router(assets.router)
    for module in PAGES:
        # The CSRF check guards every POST of every page: no route can forget it.
        app.include_router(module.router, dependencies=[Depends(check_csrf)])
    errors.install(app)
    app.add_middleware(WebHeaders, secure_cookies=settings.env != "development")
