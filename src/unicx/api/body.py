"""Reading a request body without ever holding more than the limit in memory."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import ClientDisconnect

from unicx.errors import FieldIssue, PayloadTooLargeError, UnsupportedMediaError, ValidationError

M = TypeVar("M", bound=BaseModel)


def body_schema(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` of a route reading its body itself (with :func:`read_model`): the
    JSON body, described by ``model`` (a dict: the type FastAPI takes for it)."""
    content = {"application/json": {"schema": model.model_json_schema()}}
    return {"requestBody": {"required": required, "content": content}}


def _too_large(limit: int, rule: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body is over the {limit}-byte limit",
        issues=[FieldIssue("$", rule, f"body larger than {limit} bytes")],
    )


async def read_limited(request: Request, limit: int, *, rule: str = "max_bytes") -> bytes:
    """The (decompressed) body, or 413 naming ``rule`` as soon as it passes ``limit`` bytes."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", ""):
        raise UnsupportedMediaError(
            f"content-encoding {encoding!r} is not supported (use gzip or none)",
            issues=[FieldIssue("Content-Encoding", "enum", "gzip or identity")],
        )
    declared = request.headers.get("content-length")
    if encoding != "gzip" and declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, rule)
    chunks: list[bytes] = []
    size = received = 0
    inflater = zlib.decompressobj(wbits=31) if encoding == "gzip" else None
    async for chunk in _stream(request):
        received += len(chunk)
        if received > limit:  # the compressed bytes count too: no endless gzip padding
            raise _too_large(limit, rule)
        if inflater is not None:
            try:
                # max_length bounds a decompression bomb to limit+1 bytes of output.
                chunk = inflater.decompress(chunk, limit + 1 - size)
            except zlib.error as exc:
                raise ValidationError(
                    "body is not valid gzip", issues=[FieldIssue("$", "gzip", str(exc))]
                ) from exc
            if inflater.unconsumed_tail:
                raise _too_large(limit, rule)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, rule)
        chunks.append(chunk)
    if inflater is not None and (not inflater.eof or inflater.unused_data):
        # zlib checks the CRC only when it reaches the trailer; a cut-off stream never does.
        raise ValidationError(
            "gzip body is truncated or followed by extra bytes",
            issues=[FieldIssue("$", "gzip", "gzip stream incomplete or with trailing data")],
        )
    return b"".join(chunks)


async def _stream(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect as exc:
        # Nobody is left to answer, but a 400 keeps it out of the server-error log.
        raise ValidationError(
            "client disconnected before the body ended",
            issues=[FieldIssue("$", "incomplete", "body shorter than Content-Length")],
        ) from exc


async def read_model(
    request: Request, model: type[M], *, max_bytes: int, empty_ok: bool = False
) -> M:
    """A JSON body as ``model``, read with a size cap and orjson's nesting cap instead of
    FastAPI's parser, so a hostile body is a 400/413 naming the rule, never a recursion error.
    ``empty_ok``: an empty body means the model's defaults."""
    raw = await read_limited(request, max_bytes)
    if empty_ok and not raw.strip():
        return model()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            "body is not valid JSON (or nests deeper than 1,024 levels)",
            issues=[FieldIssue("$", "json", str(exc)[:200])],
        ) from None
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        issues = [
            FieldIssue(".".join(str(p) for p in e["loc"]) or "$", e["type"], e["msg"])
            for e in exc.errors()[:20]
        ]
        raise ValidationError(f"{issues[0].field}: {issues[0].message}", issues=issues) from None
