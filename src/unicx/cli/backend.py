"""Where CLI commands act: on the workspace file directly, or through the server holding it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

import httpx
from pydantic import TypeAdapter

from unicx.auth.models import ApiKeyCreated, ApiKeyPublic, Role, SourcePublic, WriteKeyPublic
from unicx.auth.service import AccessService
from unicx.config import Settings
from unicx.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnicxError,
    ValidationError,
    WorkspaceLockedError,
)
from unicx.ingest.query import EventPage, EventPublic, EventQuery
from unicx.ingest.retention import prune_events
from unicx.runfile import read_run_info
from unicx.store import Store
from unicx.workspace import open_store


class Backend(Protocol):
    def list_sources(self) -> list[SourcePublic]: ...
    def create_source(self, name: str) -> SourcePublic: ...
    def revoke_source(self, source_id: str) -> SourcePublic: ...
    def add_write_key(self, source_id: str) -> WriteKeyPublic: ...
    def revoke_write_key(self, source_id: str, key_id: str) -> WriteKeyPublic: ...
    def list_keys(self) -> list[ApiKeyPublic]: ...
    def create_key(self, name: str, role: Role) -> ApiKeyCreated: ...
    def revoke_key(self, key_id: str) -> ApiKeyPublic: ...
    def list_events(
        self, *, limit: int, since: datetime | None, cursor: str | None = None
    ) -> EventPage: ...
    def prune_events(self, *, older_than_days: int) -> int: ...


class LocalBackend:
    def __init__(self, store: Store, access: AccessService, events: EventQuery) -> None:
        self.store = store
        self.access = access
        self.events = events

    def list_sources(self) -> list[SourcePublic]:
        return self.access.list_sources()

    def create_source(self, name: str) -> SourcePublic:
        return self.access.create_source(name)

    def revoke_source(self, source_id: str) -> SourcePublic:
        return self.access.revoke_source(source_id)

    def add_write_key(self, source_id: str) -> WriteKeyPublic:
        return self.access.add_write_key(source_id)

    def revoke_write_key(self, source_id: str, key_id: str) -> WriteKeyPublic:
        return self.access.revoke_write_key(source_id, key_id)

    def list_keys(self) -> list[ApiKeyPublic]:
        return self.access.list_api_keys()

    def create_key(self, name: str, role: Role) -> ApiKeyCreated:
        return self.access.create_api_key(name, role)

    def revoke_key(self, key_id: str) -> ApiKeyPublic:
        return self.access.revoke_api_key(key_id)

    def list_events(
        self, *, limit: int, since: datetime | None, cursor: str | None = None
    ) -> EventPage:
        return self.events.page(limit=limit, since=since, cursor=cursor)

    def prune_events(self, *, older_than_days: int) -> int:
        return prune_events(self.store, older_than_days=older_than_days)


_STATUS_ERRORS: dict[int, type[UnicxError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


class RemoteBackend:
    """The same operations through the running server's management API."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(30, read=3600),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, path, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One management API request; 4xx answers become the matching UnicxError."""
        return self._response(method, path, **kwargs).json()

    def _response(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        res = self.client.request(method, path, **kwargs)
        if res.status_code >= 400:
            try:
                message = res.json().get("message", res.text)
            except ValueError:
                message = res.text
            raise _STATUS_ERRORS.get(res.status_code, UnicxError)(str(message))
        return res

    def list_sources(self) -> list[SourcePublic]:
        return TypeAdapter(list[SourcePublic]).validate_python(self._call("GET", "/v1/sources"))

    def create_source(self, name: str) -> SourcePublic:
        return SourcePublic(**self._call("POST", "/v1/sources", json={"name": name}))

    def revoke_source(self, source_id: str) -> SourcePublic:
        return SourcePublic(**self._call("DELETE", f"/v1/sources/{source_id}"))

    def add_write_key(self, source_id: str) -> WriteKeyPublic:
        return WriteKeyPublic(**self._call("POST", f"/v1/sources/{source_id}/write-keys"))

    def revoke_write_key(self, source_id: str, key_id: str) -> WriteKeyPublic:
        path = f"/v1/sources/{source_id}/write-keys/{key_id}"
        return WriteKeyPublic(**self._call("DELETE", path))

    def list_keys(self) -> list[ApiKeyPublic]:
        return TypeAdapter(list[ApiKeyPublic]).validate_python(self._call("GET", "/v1/keys"))

    def create_key(self, name: str, role: Role) -> ApiKeyCreated:
        body = {"name": name, "role": role.value}
        return ApiKeyCreated(**self._call("POST", "/v1/keys", json=body))

    def revoke_key(self, key_id: str) -> ApiKeyPublic:
        return ApiKeyPublic(**self._call("DELETE", f"/v1/keys/{key_id}"))

    def list_events(
        self, *, limit: int, since: datetime | None, cursor: str | None = None
    ) -> EventPage:
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since.isoformat()
        if cursor is not None:
            params["cursor"] = cursor
        res = self._response("GET", "/v1/events", params=params)
        events = TypeAdapter(list[EventPublic]).validate_python(res.json())
        return EventPage(events, res.headers.get("X-Next-Cursor"))

    def prune_events(self, *, older_than_days: int) -> int:
        body = {"older_than_days": older_than_days}
        return int(self._call("POST", "/v1/events/prune", json=body)["deleted"])


@contextmanager
def open_target(settings: Settings) -> Iterator[Store | RemoteBackend]:
    """The workspace store when this process can open it, else a client of the server holding
    it: domain CLI modules run their service locally or call the same API endpoint."""
    try:
        store = open_store(settings)
    except WorkspaceLockedError:
        info = read_run_info(settings.run_dir)
        if info is None:
            raise
        remote = RemoteBackend(info.url, info.token)
        try:
            yield remote
        finally:
            remote.client.close()
        return
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_backend(settings: Settings) -> Iterator[Backend]:
    """Open the workspace directly, or go through the server if one holds it."""
    with open_target(settings) as target:
        if isinstance(target, RemoteBackend):
            yield target
        else:
            yield LocalBackend(target, AccessService(target), EventQuery(target))
