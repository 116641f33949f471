"""One cap on every request body, before any route reads it.

Routes that parse a model body through FastAPI read the whole body into memory first, so
without this a single request to ``/v1/traits`` (or keys, sources, identity, matching,
privacy, audiences, events, segments, journeys, offers…) could hold gigabytes. The cap is
enforced on ``Content-Length`` when it is sent, and by counting the bytes of a chunked body as
they arrive, so a body without a length stops at the limit as well. Routes that stream their
body with a limit of their own (ingest, imports, the catalog feed) are passed through: their
own, documented limits apply (docs/limits.md).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unicx.api.errors import error_body, json_response
from unicx.errors import FieldIssue, PayloadTooLargeError


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes outside the ``exempt`` paths."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: Collection[str]) -> None:
        self.app = app
        self.limit = limit
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        messages = await self._buffer(receive)
        if messages is None:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _buffer(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None as soon as they pass the limit (nothing more read)."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                return None
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = PayloadTooLargeError(
            f"request body is over the {self.limit}-byte limit (setting max_body_bytes)",
            issues=[FieldIssue("$", "max_body_bytes", f"body larger than {self.limit} bytes")],
        )
        # The client may still be sending: closing the connection spares reading the rest.
        response = json_response(413, error_body(exc), {"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 20 else None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        # After the buffered body, the server's own receive (a disconnect, for streaming).
        return pending.pop(0) if pending else await receive()

    return replayed
