"""A generic JSON-over-HTTP provider, shared by SMS and push (and the webhook's transport).

Most SMS gateways and push services take "POST this JSON with that header"; rather than one
client per vendor, a channel config names the URL, the auth and a Jinja body template, e.g.::

    {"to": {{ to | tojson }}, "message": {{ text | tojson }}, "from": {{ sender | tojson }}}

The template (unicx.personalize.bodies) renders in the bounded template worker, in Jinja's
immutable sandbox with ``StrictUndefined`` (a misspelt variable
is an error at save time, not an empty field at send time) and a ``tojson`` filter, so values
are always JSON-escaped: a message text with quotes cannot break or inject into the body.

Status mapping (the same for webhooks): 2xx sent; 429, 5xx, timeouts and connection errors
retryable; any other answer terminal. Headers, tokens and bodies are never logged.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from unicx.channels.base import RetryableSendError, SendResult, TerminalSendError
from unicx.channels.outbound import host_port, pinned_request
from unicx.personalize.bodies import MAX_BODY as MAX_BODY  # what webhooks send, too
from unicx.personalize.sandbox import render_isolated

log = logging.getLogger(__name__)

MAX_TEMPLATE = 10_000
MAX_RESPONSE = 1024 * 1024  # what is read of a provider's answer
MAX_HEADERS = 50
VARIABLES = ("to", "text", "title", "body", "message_id", "sender", "extra")
SAMPLE_VARIABLES: dict[str, Any] = {
    "to": "+84912345678", "text": 'Xin chào "An"', "title": "Tiêu đề", "body": "Nội dung",
    "message_id": "msg_sample", "sender": "UNICX", "extra": {"url": "https://example.vn/"},
}  # fmt: skip
DEFAULT_BODY_TEMPLATE = (
    '{"to": {{ to | tojson }}, "text": {{ text | tojson }}, "title": {{ title | tojson }}, '
    '"body": {{ body | tojson }}, "sender": {{ sender | tojson }}, '
    '"message_id": {{ message_id | tojson }}, "extra": {{ extra | tojson }}}'
)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_ID_PATH = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"


class NoAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["none"] = "none"


class BearerAuth(BaseModel):
    """``Authorization: Bearer <token>``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["bearer"]
    token: str = Field(min_length=1, max_length=4096)


class BasicAuth(BaseModel):
    """HTTP Basic with a user name and password."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["basic"]
    username: str = Field(min_length=1, max_length=500)
    password: str = Field(max_length=4096)


Auth = Annotated[NoAuth | BearerAuth | BasicAuth, Field(discriminator="kind")]


class HttpProviderConfig(BaseModel):
    """Where and how to POST a message to an HTTP provider."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        default="", max_length=2000, description="http(s) endpoint; empty = not configured"
    )
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict, description="extra request headers (values may be secret)"
    )
    auth: Auth = Field(default_factory=NoAuth, description="none | bearer | basic")
    body_template: str = Field(
        default=DEFAULT_BODY_TEMPLATE,
        max_length=MAX_TEMPLATE,
        description="Jinja template of the JSON body; variables: " + ", ".join(VARIABLES),
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    provider_id_path: str | None = Field(
        default=None,
        max_length=200,
        pattern=_ID_PATH,
        description="dotted path of the provider's message id in its JSON answer, e.g. data.id",
    )
    bounce_statuses: list[int] = Field(
        default_factory=list,
        max_length=20,
        description="4xx statuses meaning the address is dead (hard bounce), e.g. [404, 410] "
        "for push services that answer so for unregistered tokens",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value:
            check_http_url(value, what="url", error=ValueError)
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        return check_headers(value)

    @field_validator("body_template")
    @classmethod
    def _template(cls, value: str) -> str:
        # Rendering a sample now turns a broken template into a 400 at save time.
        try:
            render_body(value, SAMPLE_VARIABLES)
        except TerminalSendError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("bounce_statuses")
    @classmethod
    def _bounces(cls, value: list[int]) -> list[int]:
        if any(not 400 <= code <= 499 or code == 429 for code in value):
            raise ValueError("bounce statuses must be 4xx codes other than 429")
        return value


def check_headers(value: dict[str, str]) -> dict[str, str]:
    """Header names must be HTTP tokens and values single lines (no header injection)."""
    if len(value) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} headers")
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"header name {name[:100]!r} is not a valid HTTP token")
        if any(ch in text for ch in "\r\n\0") or len(text) > 8192:
            raise ValueError(f"header {name} has a line break or is over 8192 characters")
    return value


def check_http_url(url: str, *, what: str, error: type[Exception]) -> httpx.URL:
    """``url`` parsed, or ``error`` unless it is an absolute http(s) URL with a host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise error(f"{what} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise error(f"{what} must be an absolute http or https URL")
    return parsed


def render_body(template: str, variables: Mapping[str, Any]) -> bytes:
    """The request body: the template rendered (in the bounded template worker) and checked
    to be JSON."""
    context = {name: variables.get(name) for name in VARIABLES}
    answer = render_isolated(template, context, kind="json")
    if answer.issue is not None:
        raise TerminalSendError(answer.issue[2])
    return (answer.out or "").encode()


_local = threading.local()
MAX_CLIENTS = 32  # per thread: providers and webhook hosts a workspace talks to


def _client(host: str) -> httpx.Client:
    """One client (connection pool) per worker thread and host name: keeps TLS sessions
    warm, and httpx's Client is not documented as thread-safe. Per host name because requests
    go to the checked IP address (:mod:`unicx.channels.outbound`), and a pool keyed by that
    address would hand a TLS connection verified for one name to a request for another name
    on the same address."""
    clients: OrderedDict[str, httpx.Client] | None = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = OrderedDict()
    if host in clients:
        clients.move_to_end(host)
        return clients[host]
    if len(clients) >= MAX_CLIENTS:
        clients.popitem(last=False)[1].close()
    clients[host] = httpx.Client(follow_redirects=False, trust_env=False)
    return clients[host]


def request(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    allow: Sequence[str],
    bounce_statuses: frozenset[int] = frozenset(),
    what: str = "provider",
) -> tuple[int, bytes]:
    """Send ``body`` to the checked address of ``url`` (:mod:`unicx.channels.outbound`);
    return (status, answer) for a 2xx or raise by the status mapping. The error names the
    status only: an answer's body is never kept (it would show an internal service's reply
    to whoever reads the message log)."""
    try:
        client = _client(httpx.URL(url).host)
        with pinned_request(client, method, url, allow=allow, what=what, content=body,
                            headers=dict(headers), timeout=timeout_s) as resp:  # fmt: skip
            answer = _read(resp)
            status = resp.status_code
    except httpx.TimeoutException:
        raise RetryableSendError(f"{what} timed out after {timeout_s:g} s") from None
    except httpx.TransportError as exc:
        # Connection refused/reset, TLS or protocol error: the next try may work.
        raise RetryableSendError(f"{what} unreachable: {type(exc).__name__}") from None
    except httpx.InvalidURL:
        raise TerminalSendError(f"{what} URL is invalid") from None
    log.debug("%s answered HTTP %s", what, status)
    if 200 <= status < 300:
        return status, answer
    message = f"{what} answered HTTP {status}"
    if status == 429 or status >= 500:
        raise RetryableSendError(message)
    if 300 <= status < 400:
        raise TerminalSendError(message + " (a redirect: unicx does not follow redirects)")
    raise TerminalSendError(message, bounce=status in bounce_statuses)


def _read(resp: httpx.Response) -> bytes:
    answer = b""
    for chunk in resp.iter_bytes():
        answer += chunk
        if len(answer) > MAX_RESPONSE:
            break
    return answer


class ProviderChannelConfig(BaseModel):
    """What every channel sending through an HTTP provider (SMS, push) is configured with."""

    model_config = ConfigDict(extra="forbid")

    provider: HttpProviderConfig = Field(default_factory=HttpProviderConfig)
    receipt_token: str = Field(
        default="", max_length=200, description="secret of the delivery-receipt URL; empty = off"
    )

    def destinations(self) -> list[tuple[str, str, int]]:
        """(field, host, port) this config connects to, for the save-time SSRF check."""
        if not self.provider.url:
            return []
        return [("provider.url", *host_port(httpx.URL(self.provider.url)))]


def _auth_headers(config: HttpProviderConfig) -> dict[str, str]:
    auth = config.auth
    if isinstance(auth, BearerAuth):
        return {"Authorization": f"Bearer {auth.token}"}
    if isinstance(auth, BasicAuth):
        pair = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


def provider_id(answer: bytes, path: str | None) -> str | None:
    """The value at dotted ``path`` in a JSON answer (``data.0.id`` indexes lists), if any."""
    if not path:
        return None
    try:
        node: Any = json.loads(answer)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    for key in path.split("."):
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    if isinstance(node, str | int) and not isinstance(node, bool):
        return str(node)[:200]
    return None


def post(
    config: HttpProviderConfig, variables: Mapping[str, Any], *, allow: Sequence[str]
) -> SendResult:
    """Render the body from ``variables`` and send it to a public address (or one ``allow``
    lists); SendResult carries the provider's id."""
    if not config.url:
        raise TerminalSendError("the provider has no url configured")
    body = render_body(config.body_template, variables)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "unicx",
        **config.headers,
        **_auth_headers(config),
    }
    status, answer = request(
        config.method,
        config.url,
        body,
        headers,
        timeout_s=config.timeout_s,
        allow=allow,
        bounce_statuses=frozenset(config.bounce_statuses),
    )
    return SendResult(provider_id=provider_id(answer, config.provider_id_path),
                      detail=f"HTTP {status}")  # fmt: skip
