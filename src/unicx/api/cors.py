"""CORS for the routes a web page calls with the public write key, and for no other route.

A page on any origin may send events, read the SDK settings and its person's inbox: these
routes answer any origin (``*``, never with credentials, so no cookie rides along) and
preflights without authentication. Every other route (secret keys, the dashboard) gets no CORS
header at all, so a browser refuses a page's cross-origin call and its preflight.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SEGMENT_CALLS = "track|identify|page|screen|group|alias|batch|t|i|p|s|g|a|b"
WRITE_KEY_PATHS: Final = re.compile(
    rf"^(?:/v1/(?:{_SEGMENT_CALLS})"
    r"|/v1/projects/[^/]+/settings"
    r"|/sourceConfig/?"
    r"|/beacon/v1/batch"
    r"|/v1/profiles/[^/]+/messages(?:/[^/]+/[^/]+)?)$"
)
# The SDKs add headers of their own (RudderStack: AnonymousId, Rsa-Retry-Attempt, …; Segment:
# X-Retry-Count) and change them between versions: every requested header name is granted.
# Harmless here: no cookie is ever allowed along, and the write key is public anyway.
_HEADER_LIST: Final = re.compile(
    r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$"
)
_BASE: Final = [(b"access-control-allow-origin", b"*"), (b"vary", b"Origin")]
_PREFLIGHT: Final = [
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


class WriteKeyCors:
    """Pure ASGI (no per-request task or body copy): it sits in front of the ingest hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not WRITE_KEY_PATHS.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" not in headers:
            await self.app(scope, receive, send)
        elif scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(send, headers.get("access-control-request-headers", ""))
        else:
            await self.app(scope, receive, _with_cors(send))


async def _preflight(send: Send, requested: str) -> None:
    granted = [(b"access-control-allow-headers", requested.encode())]
    if not _HEADER_LIST.match(requested.strip()):
        granted = []  # none asked for, or not a list of header names: grant nothing
    headers = _BASE + _PREFLIGHT + granted
    start: Message = {"type": "http.response.start", "status": 204, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": b""})


def _with_cors(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_BASE]}
        await send(message)

    return wrapped
