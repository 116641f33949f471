"""Headers every dashboard answer carries, and the cookies the routes queued.

A pure ASGI middleware (not BaseHTTPMiddleware) that only touches dashboard paths, so the
ingest hot path pays one string test. The Content-Security-Policy allows no inline script at
all: the pages load /static files only and pass data to them in ``application/json`` blocks.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unicx.web.nav import is_web_path

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # plotly.js sets element styles from script and adds one <style> sheet at run time.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


class WebHeaders:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(HEADERS)
                headers.extend(self._cookies(scope.get("state", {})))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookies(self, state: dict[str, Any]) -> list[tuple[bytes, bytes]]:
        out = []
        for name, value, max_age in state.get("cookies", []):
            jar: SimpleCookie = SimpleCookie()
            jar[name] = value or ""
            morsel = jar[name]
            morsel["path"], morsel["httponly"], morsel["samesite"] = "/", True, "Lax"
            morsel["max-age"] = max_age if value is not None else 0
            if self.secure:
                morsel["secure"] = True
            out.append((b"set-cookie", morsel.OutputString().encode()))
        return out
