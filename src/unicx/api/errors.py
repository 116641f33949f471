"""UnicxError subclasses as HTTP answers; which status each gets is the table in
:mod:`unicx.errors` (the CLI reads answers back through the same table)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from unicx.errors import StoreError, UnicxError, ValidationError, status_for

log = logging.getLogger(__name__)


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def error_body(exc: UnicxError) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "error": exc.code, "message": exc.message}
    if isinstance(exc, ValidationError):
        body["issues"] = [i.as_dict() for i in exc.issues]
    return body


def unicx_error_response(exc: UnicxError) -> Response:
    status = status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="unicx"'
    if status == 503:
        headers["Retry-After"] = "1"
    if status >= 500 and isinstance(exc, StoreError):
        log.error("store failure in step %s: %s\nSQL: %s", exc.step, exc.message, exc.sql)
        # The SQL stays in the log: it may reveal schema or data the caller should not see.
        return json_response(
            status, {"success": False, "error": exc.code, "message": "storage failure"}, headers
        )
    return json_response(status, error_body(exc), headers)


def install(app: FastAPI) -> None:
    async def on_unicx(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnicxError)
        return unicx_error_response(exc)

    async def on_request_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        issues = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())),
                "rule": err.get("type", "invalid"),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return json_response(
            400,
            {"success": False, "error": "invalid", "message": "invalid request", "issues": issues},
        )

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response(
            exc.status_code,
            {"success": False, "error": "http_error", "message": str(exc.detail)},
            dict(exc.headers or {}),
        )

    app.add_exception_handler(UnicxError, on_unicx)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
