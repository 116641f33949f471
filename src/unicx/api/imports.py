"""Bulk import over HTTP: POST /v1/imports (multipart upload), GET /v1/imports[/{id}].

The upload is streamed with a byte limit (``import_max_bytes``, 413 beyond), written under
``<workspace>/imports/`` with a sanitized name, imported in a worker thread, then deleted: the
rejects file stays, the customer file does not (less personal data lying around).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from unicx.api.deps import Ctx, ImportsWriter, ProfilesReader
from unicx.errors import (
    FieldIssue,
    PayloadTooLargeError,
    UnsupportedMediaError,
    ValidationError,
)
from unicx.profiles.imports import (
    IMPORT_KINDS,
    ImportReport,
    get_import,
    hold_upload,
    imports_dir,
    list_imports,
    parse_mapping,
    release_upload,
    run_import,
    text_encoding,
)

router = APIRouter(prefix="/v1", tags=["imports"])

_FIELDS = ("kind", "mapping", "encoding", "max_errors", "keep_unmapped", "date_order")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["file", "kind"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV, Parquet or JSONL"},
        "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
        "mapping": {
            "type": "string",
            "description": 'JSON object {"email": "Email"} or "email=Email,phone=Phone"',
        },
        "encoding": {"type": "string", "description": "default: UTF-8, else cp1258"},
        "max_errors": {"type": "integer", "minimum": 0},
        "keep_unmapped": {"type": "boolean"},
        "date_order": {"type": "string", "enum": ["dmy", "mdy"]},
    },
}
_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": _FORM_SCHEMA}},
    }
}


@router.post("/imports", response_model=ImportReport, openapi_extra=_OPENAPI)
async def create_import(request: Request, ctx: Ctx, principal: ImportsWriter) -> ImportReport:
    """Upload a file and import it (profiles or orders); answers with the import report.

    Rows breaking a rule are rejected and reported; the rest are imported in one transaction.
    """
    form = await _read_form(request, ctx.settings.import_max_bytes)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationError("a file part is required", issues=[_issue("file", "required")])
        if upload.size is not None and upload.size > ctx.settings.import_max_bytes:
            raise _too_large(ctx.settings.import_max_bytes)
        options = _options(form)
        path = imports_dir(ctx.settings) / f"upload_{uuid.uuid4().hex}_{_safe_name(upload)}"
        hold_upload(path)
        try:
            await run_in_threadpool(_save, upload, path)
        except BaseException:
            path.unlink(missing_ok=True)
            release_upload(path)
            raise
    finally:
        await form.close()
    try:
        return await run_in_threadpool(
            run_import,
            ctx.store,
            ctx.settings,
            path=path,
            actor=f"api:{principal.name}",
            progress=None,
            file_name=_safe_name(upload),
            max_bytes=ctx.settings.import_max_bytes,
            **options,
        )
    finally:
        path.unlink(missing_ok=True)
        release_upload(path)


@router.get("/imports", response_model=list[ImportReport])
async def imports(
    ctx: Ctx, _: ProfilesReader, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[ImportReport]:
    """Past imports, newest first (the error sample of each, not its rejected rows)."""
    return await run_in_threadpool(list_imports, ctx.store, limit=limit)


@router.get("/imports/{import_id}", response_model=ImportReport)
async def one_import(
    ctx: Ctx, _: ProfilesReader, import_id: Annotated[str, PathParam(max_length=64)]
) -> ImportReport:
    return await run_in_threadpool(get_import, ctx.store, import_id)


def _issue(field: str, rule: str, message: str = "") -> FieldIssue:
    return FieldIssue(field, rule, message or rule)


async def _read_form(request: Request, limit: int) -> FormData:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaError(
            "send the file as multipart/form-data", issues=[_issue("content-type", "multipart")]
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise _too_large(limit)
    parser = MultiPartParser(
        request.headers, _limited(request, limit), max_files=1, max_fields=len(_FIELDS)
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise ValidationError(
            f"malformed multipart body: {exc.message}", issues=[_issue("body", "multipart")]
        ) from exc


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body, failing as soon as it passes the limit (whatever Content-Length said)."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit + 64 * 1024:  # room for the form's other parts and boundaries
            raise _too_large(limit)
        yield chunk


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the upload is larger than import_max_bytes ({limit} bytes); import it with the CLI "
        "on the server's machine or raise the setting",
        issues=[_issue("file", "import_max_bytes")],
    )


def _options(form: FormData) -> dict[str, Any]:
    unknown = sorted(set(form.keys()) - {*_FIELDS, "file"})
    if unknown:
        raise ValidationError(
            f"unknown form field(s): {', '.join(unknown)}",
            issues=[_issue(f, "unknown_field") for f in unknown],
        )
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    kind = fields.get("kind")
    if kind not in IMPORT_KINDS:
        raise ValidationError("kind must be profiles or orders", issues=[_issue("kind", "enum")])
    date_order = fields.get("date_order", "dmy")
    if date_order not in ("dmy", "mdy"):
        raise ValidationError("date_order is dmy or mdy", issues=[_issue("date_order", "enum")])
    return {
        "kind": kind,
        "mapping": _mapping(fields.get("mapping")),
        # Checked before the upload is saved: no codec name reaches the reader unchecked.
        "encoding": text_encoding(fields["encoding"]) if fields.get("encoding") else None,
        "max_errors": _int(fields.get("max_errors"), "max_errors"),
        "keep_unmapped": fields.get("keep_unmapped", "").lower() in ("1", "true", "yes", "on"),
        "date_order": date_order,
    }


def _mapping(text: str | None) -> dict[str, str] | None:
    if not text or not text.strip():
        return None
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValidationError(
                f"mapping is not valid JSON: {exc}", issues=[_issue("mapping", "json")]
            ) from exc
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationError(
                "mapping must map names to column names", issues=[_issue("mapping", "object")]
            )
        return value
    return parse_mapping(text)


def _int(text: str | None, name: str) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit() or len(text.strip()) > 12:
        raise ValidationError(f"{name} must be a whole number", issues=[_issue(name, "integer")])
    return int(text)


def _safe_name(upload: UploadFile) -> str:
    """The client's file name without any directory part, in safe characters (its suffix tells
    the format)."""
    raw = upload.filename or "upload"
    base = PureWindowsPath(PurePosixPath(raw).name).name
    name = _SAFE_NAME.sub("_", base).strip("._") or "upload"
    return name[-100:]


def _save(upload: UploadFile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
