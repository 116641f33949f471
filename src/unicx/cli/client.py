"""The one way CLI commands reach the workspace: locally, or through the server holding it.

DuckDB lets one process write a workspace file. When ``unicx serve`` holds it, a command
cannot open the file and calls the server's API instead, with the token of the run file
(<workspace>/run/server.json). Each service operation a command needs is declared once as an
:class:`Operation`: its local call (store, settings → result) and the API request that does
the same (method, path, body, response type). :func:`open_client` decides local or remote
once; a command only calls ``client.run(operation)``.

Error answers come back as the UnicxError they stand for (``unicx.errors.HTTP_STATUS``): a 503
stays retryable and a 400 keeps its field issues.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import httpx
from pydantic import BaseModel, TypeAdapter

from unicx.cli.common import settings_for
from unicx.config import Settings
from unicx.errors import FieldIssue, WorkspaceLockedError, error_from_answer
from unicx.runfile import read_run_info
from unicx.store import Store
from unicx.workspace import open_store

T = TypeVar("T")
# Query parameters and form fields as httpx takes them.
Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Generic[T]):
    """One API request and the type its JSON answer is read as (``Any``: plain JSON)."""

    method: str
    path: str
    response: Any
    params: Params | None = None
    json: Any = None
    content: bytes | None = None
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """A service operation: ``local`` on the open store, or ``remote`` through the API (one
    request, or a function of the client for the few that take several)."""

    local: Callable[[Store, Settings], T]
    remote: Request[T] | Callable[[RemoteClient], T]


@overload
def api(method: str, path: str, /, **body: Any) -> Request[Any]: ...
@overload
def api(method: str, path: str, response: type[T], /, **body: Any) -> Request[T]: ...
def api(method: str, path: str, response: Any = Any, /, **body: Any) -> Request[Any]:
    """A request whose answer is read as ``response`` (default: plain JSON); ``body`` holds
    params, json, content or timeout."""
    return Request(method=method, path=path, response=response, **body)


class Client(ABC):
    """Runs operations on one workspace; see :func:`open_client`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def run(self, op: Operation[T]) -> T: ...

    def plain(self, op: Operation[Any]) -> Any:
        """The result as the API would answer it: JSON values only."""
        return to_plain(self.run(op))


class LocalClient(Client):
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(settings)
        self.store = store

    def run(self, op: Operation[T]) -> T:
        return op.local(self.store, self.settings)


class RemoteClient(Client):
    """The running server's management API, with the run file's token."""

    def __init__(self, settings: Settings, http: httpx.Client) -> None:
        super().__init__(settings)
        self.http = http

    def run(self, op: Operation[T]) -> T:
        if isinstance(op.remote, Request):
            return self.fetch(op.remote)
        return op.remote(self)

    def fetch(self, req: Request[T]) -> T:
        res = self.send(req)
        result: T = _adapter(req.response).validate_json(res.content or b"null")
        return result

    def send(self, req: Request[Any], **extra: Any) -> httpx.Response:
        """The answer to ``req`` (``extra``: httpx arguments such as data= and files=); an
        error answer raises the UnicxError it stands for."""
        kwargs: dict[str, Any] = {"params": req.params, "json": req.json, "content": req.content}
        if req.timeout is not None:
            kwargs["timeout"] = req.timeout
        res = self.http.request(req.method, req.path, **kwargs, **extra)
        if res.status_code >= 400:
            raise _answer_error(res)
        return res


@cache
def _adapter(response: Any) -> TypeAdapter[Any]:
    return TypeAdapter(response)


def _answer_error(res: httpx.Response) -> Exception:
    try:
        body = res.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"message": res.text}
    issues = [
        FieldIssue(str(i.get("field", "")), str(i.get("rule", "")), str(i.get("message", "")))
        for i in body.get("issues") or []
        if isinstance(i, dict)
    ]
    return error_from_answer(
        res.status_code,
        code=str(body.get("error") or ""),
        message=str(body.get("message", res.text)),
        issues=issues,
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_plain(value: Any) -> Any:
    """``value`` (models, dicts, lists, dates, decimals) as JSON values only: what the API
    answers, so a command prints the same whether it ran locally or through the server."""
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


@contextmanager
def open_client(settings: Settings) -> Iterator[Client]:
    """The workspace's store when this process can open it, else the server holding it."""
    try:
        store = open_store(settings)
    except WorkspaceLockedError:
        info = read_run_info(settings.run_dir)
        if info is None:
            raise
        headers = {"Authorization": f"Bearer {info.token}"}
        timeout = httpx.Timeout(30, read=3600)
        with httpx.Client(base_url=info.url, headers=headers, timeout=timeout) as http:
            yield RemoteClient(settings, http)
        return
    try:
        yield LocalClient(store, settings)
    finally:
        store.close()


def run(workspace: Path, op: Operation[T]) -> T:
    """``op`` on the workspace, locally or through its server."""
    with open_client(settings_for(workspace)) as client:
        return client.run(op)


def run_plain(workspace: Path, op: Operation[Any]) -> Any:
    """``op``'s result as plain JSON values (what the API answers)."""
    with open_client(settings_for(workspace)) as client:
        return client.plain(op)


def run_call(
    workspace: Path, local: Callable[[Store, Settings], Any], method: str, path: str, **body: Any
) -> Any:
    """Shorthand for ``run_plain(workspace, Operation(local, api(method, path, **body)))``."""
    return run_plain(workspace, Operation(local, api(method, path, **body)))
