"""OpenAPI document and Swagger UI, served offline and behind a secret key.

The UI's assets come from the swagger-ui-bundle wheel, so nothing is fetched from a CDN. A
browser logs in with HTTP Basic (any user name, the secret key as password) and then sends the
same credentials for the assets and the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import swagger_ui_bundle
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.responses import FileResponse, HTMLResponse, JSONResponse

from unicx.api.deps import Ctx, authenticate
from unicx.auth.models import Principal
from unicx.auth.sessions import SESSION_COOKIE, SessionService
from unicx.errors import AuthError, NotFoundError
from unicx.ingest.models import BatchEnvelope, Message

router = APIRouter(tags=["docs"])


def docs_reader(request: Request, ctx: Ctx) -> Principal:
    """A secret key (Bearer, or Basic with the key as password), or a signed-in dashboard
    user's session: these pages only read, so the cookie needs no CSRF token here."""
    session = SessionService(ctx.store).resolve(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        return session.principal()
    if request.headers.get("authorization") is None:
        raise AuthError("sign in to the dashboard, or send a secret key: Authorization: Bearer")
    return authenticate(request, ctx)


DocsReader = Annotated[Principal, Depends(docs_reader)]
_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
_ALLOWED_ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    _, components = msgspec.json.schema_components(
        [Message, BatchEnvelope], ref_template="#/components/schemas/Segment{name}"
    )
    comps = schema.setdefault("components", {})
    schemas = comps.setdefault("schemas", {})
    schemas["SegmentMessage"] = components["Message"]
    batch = components["BatchEnvelope"]
    batch["properties"]["batch"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/SegmentMessage"},
    }
    schemas["SegmentBatch"] = batch
    comps["securitySchemes"] = {
        "writeKey": {"type": "http", "scheme": "basic", "description": "write key as user name"},
        "secretKey": {"type": "http", "scheme": "bearer", "description": "secret API key"},
    }
    schema["security"] = [{"secretKey": []}]
    app.openapi_schema = schema
    return schema


@router.get("/openapi.json", include_in_schema=False, response_class=JSONResponse)
async def openapi_json(request: Request, _: DocsReader) -> JSONResponse:
    return JSONResponse(build_openapi(request.app))


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def swagger_ui(_: DocsReader) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="unicx API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


@router.get("/docs/assets/{name}", include_in_schema=False, response_class=FileResponse)
async def swagger_asset(name: str, _: DocsReader) -> FileResponse:
    if name not in _ALLOWED_ASSETS:
        raise NotFoundError(f"no asset {name!r}")
    return FileResponse(_ASSETS / name)
