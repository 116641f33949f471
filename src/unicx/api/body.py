"""Reading a request body without ever holding more than the limit in memory."""

from __future__ import annotations

import zlib

from fastapi import Request

from unicx.errors import FieldIssue, PayloadTooLargeError, UnsupportedMediaError, ValidationError


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body is over the {limit}-byte limit",
        issues=[FieldIssue("$", "max_bytes", f"body larger than {limit} bytes")],
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The (decompressed) body, or 413 as soon as it passes ``limit`` bytes."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", ""):
        raise UnsupportedMediaError(
            f"content-encoding {encoding!r} is not supported (use gzip or none)",
            issues=[FieldIssue("Content-Encoding", "enum", "gzip or identity")],
        )
    declared = request.headers.get("content-length")
    if encoding != "gzip" and declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    inflater = zlib.decompressobj(wbits=31) if encoding == "gzip" else None
    async for chunk in request.stream():
        if inflater is not None:
            try:
                # max_length bounds a decompression bomb to limit+1 bytes of output.
                chunk = inflater.decompress(chunk, limit + 1 - size)
            except zlib.error as exc:
                raise ValidationError(
                    "body is not valid gzip", issues=[FieldIssue("$", "gzip", str(exc))]
                ) from exc
            if inflater.unconsumed_tail:
                raise _too_large(limit)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
