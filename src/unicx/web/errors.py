"""Errors on dashboard paths answer as pages (or a redirect to sign in); elsewhere the API's
JSON answers stay as they are."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from unicx.api import errors as api_errors
from unicx.errors import UnicxError, ValidationError, status_for
from unicx.web.deps import LoginRequiredError
from unicx.web.i18n import pick_language
from unicx.web.login import login_url
from unicx.web.nav import is_web_path
from unicx.web.templating import render


def install(app: FastAPI) -> None:
    async def on_unicx(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnicxError)
        if not is_web_path(request.url.path):
            return api_errors.unicx_error_response(exc)
        if isinstance(exc, LoginRequiredError):
            return _to_login(request)
        return _error_page(request, status_for(exc), exc.message)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_web_path(request.url.path):
            return await _delegate(api_validation, request, exc)
        return _error_page(request, 400, "; ".join(str(e.get("msg")) for e in exc.errors()))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_web_path(request.url.path):
            return await _delegate(api_http, request, exc)
        return _error_page(request, exc.status_code, str(exc.detail))

    api_validation = app.exception_handlers[RequestValidationError]
    api_http = app.exception_handlers[StarletteHTTPException]
    app.add_exception_handler(UnicxError, on_unicx)
    app.add_exception_handler(ValidationError, on_unicx)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


async def _delegate(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    """The API's own answer (its handlers may be sync or async)."""
    answer = handler(request, exc)
    return cast(Response, await answer if inspect.isawaitable(answer) else answer)


def _to_login(request: Request) -> Response:
    target = login_url(request.url.path)
    if request.headers.get("hx-request"):
        # htmx follows this header with a full page load instead of swapping a fragment.
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _error_page(request: Request, status: int, message: str) -> Response:
    if not hasattr(request.state, "language"):
        request.state.language = pick_language(request.query_params.get("lang"))
    if not hasattr(request.state, "login_csrf"):
        request.state.login_csrf = ""
    return render(request, "error.html", user=None, status=status, code=status, message=message)
