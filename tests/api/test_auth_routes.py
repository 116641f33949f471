"""Who may call what: every route of the app, every method, every kind of credential.

The route list comes from the app itself, so a route added later without authentication fails
here without anyone remembering to add a case. Only the seven Segment ingest routes take a write
key; everything else needs a secret key, and what a secret key may do depends on its role.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from unicx.api import create_app
from unicx.auth.models import Role
from unicx.config import load_settings
from unicx.workspace import init_workspace

# The Segment calls, their one-letter names (analytics.js) and RudderStack's beacon URL.
INGEST = frozenset(
    (f"/v1/{t}", "POST")
    for t in ("track", "identify", "page", "screen", "group", "alias", "batch", *"tipsgab")
) | {("/beacon/v1/batch", "POST")}
# What the browser SDKs fetch before sending: the write key is the credential.
SDK_CONFIG = frozenset(
    [("/v1/projects/{write_key}/settings", "GET"), ("/sourceConfig", "GET"),
     ("/sourceConfig/", "GET")]
)  # fmt: skip
# Building the app needs only settings; nothing is opened until its lifespan starts.
ROUTES: list[tuple[str, str]] = sorted(
    (ctx.path, method)
    for ctx in iter_route_contexts(create_app(load_settings(workspace=Path("unused"))).routes)
    if ctx.path is not None
    for method in (ctx.methods or {"GET"})
)
# Links in messages and provider callbacks: a signed token or the channel's receipt token in the
# URL is the credential, since neither a mail reader nor an SMS provider holds an API key.
TOKEN_ROUTES = frozenset(
    [
        ("/v1/t/open/{token}.gif", "GET"),
        ("/v1/t/click/{token}", "GET"),
        ("/v1/unsubscribe/{token}", "GET"),
        ("/v1/unsubscribe/{token}", "POST"),
        ("/v1/channels/{channel}/receipts", "POST"),
    ]
)
# The in-app inbox is read by the site or app itself: its write key and the person's token.
INBOX = frozenset(
    [
        ("/v1/profiles/{profile_id}/messages", "GET"),
        ("/v1/profiles/{profile_id}/messages/{message_id}/{action}", "POST"),
    ]
)
PROTECTED = [r for r in ROUTES if r not in INGEST | TOKEN_ROUTES | INBOX | SDK_CONFIG]
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DUMMY = {
    "source_id": "src_0000000000000000",
    "key_id": "key_000000000000",
    "name": "swagger-ui-bundle.js",
    "action": "seen",
    "channel": "sms",
}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@dataclass
class Site:
    client: TestClient
    ws: Workspace

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.ws.secret_key)

    def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, json: Any = None
    ) -> Response:
        res = self.client.request(method, path, headers=headers or {}, json=json)
        assert res.status_code < 500, res.text
        return res

    def fill(self, path: str, *, real: bool) -> str:
        """The path with its parameters set: dummies, or ids that exist in this workspace."""
        values = dict(DUMMY)
        if real:
            values["source_id"] = self.ws.keys.source_id
            if "/write-keys/" in path:
                source = self.call("GET", f"/v1/sources/{self.ws.keys.source_id}", self.admin)
                values["key_id"] = source.json()["write_keys"][0]["key_id"]
            else:
                values["key_id"] = self.ws.keys.key_id
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m[1], "dummy"), path)

    def new_key(self, role: Role) -> tuple[str, str]:
        res = self.call(
            "POST", "/v1/keys", self.admin, {"name": f"{role.value} key", "role": role.value}
        )
        assert res.status_code == 201, res.text
        return res.json()["key_id"], res.json()["secret_key"]


def _site(client: TestClient, ws: Workspace) -> Site:
    return Site(client, ws)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path = tmp_path_factory.mktemp("auth") / "ws"
    settings = load_settings(workspace=path)
    ws = Workspace(path, settings, init_workspace(settings))
    with TestClient(create_app(settings)) as client:
        yield Site(client, ws)


@pytest.fixture
def own_site(client: TestClient, workspace: Workspace) -> Site:
    """A workspace of its own, for cases that revoke keys."""
    return Site(client, workspace)


def test_route_enumeration_sees_the_whole_app() -> None:
    # Guards the parametrized cases below against an empty or partial route list.
    assert set(ROUTES) >= INGEST | TOKEN_ROUTES | INBOX | SDK_CONFIG
    expected = {
        ("/v1/events", "GET"),
        ("/v1/sources", "POST"),
        ("/v1/keys", "POST"),
        ("/v1/keys/{key_id}", "DELETE"),
        ("/openapi.json", "GET"),
        ("/docs", "GET"),
        ("/docs/assets/{name}", "GET"),
        ("/v1/me", "GET"),
    }
    assert expected <= set(ROUTES)
    assert len(PROTECTED) >= 14


def _credentials(site: Site) -> dict[str, dict[str, str]]:
    wk = site.ws.write_key
    return {
        "none": {},
        "write-key-as-user": basic(wk),
        "write-key-as-password": _basic("", wk),
        "write-key-as-user-and-password": _basic(wk, wk),
        "write-key-as-bearer": bearer(wk),
        "unknown-bearer": bearer("sk_" + "0" * 43),
        "empty-bearer": {"Authorization": "Bearer "},
        "bad-basic": {"Authorization": "Basic %%%"},
    }


@pytest.mark.parametrize("real", [False, True], ids=["dummy-ids", "real-ids"])
@pytest.mark.parametrize(("path", "method"), PROTECTED, ids=[f"{m} {p}" for p, m in PROTECTED])
def test_every_route_but_ingest_needs_a_secret_key(
    site: Site, path: str, method: str, real: bool
) -> None:
    url = site.fill(path, real=real)
    before = site.call("GET", "/v1/sources", site.admin).json()
    for name, headers in _credentials(site).items():
        res = site.call(method, url, headers, json={"name": "probe"})
        assert res.status_code == 401, (name, res.text)
        assert res.headers["WWW-Authenticate"].startswith("Basic")
        assert res.json()["success"] is False
    assert site.call("GET", "/v1/sources", site.admin).json() == before  # nothing changed


@pytest.mark.parametrize(("path", "method"), sorted(TOKEN_ROUTES))
def test_token_routes_refuse_forged_tokens_whatever_the_key(
    site: Site, path: str, method: str
) -> None:
    url = site.fill(path, real=True)
    before = site.call("GET", "/v1/messages", site.admin).json()
    for name, headers in {**_credentials(site), "secret-key": site.admin}.items():
        res = site.call(method, url, headers, json={"status": "delivered", "message_id": "m"})
        if path.endswith(".gif"):  # always the pixel (a broken image shows), never counted
            assert res.status_code == 200 and res.headers["content-type"] == "image/gif"
        else:
            assert res.status_code in (401, 404), (name, res.status_code, res.text)
    assert site.call("GET", "/v1/messages", site.admin).json() == before


@pytest.mark.parametrize(("path", "method"), sorted(INBOX))
def test_inbox_takes_a_person_token_or_a_secret_key(site: Site, path: str, method: str) -> None:
    url = site.fill(path, real=True)
    for name, headers in _credentials(site).items():
        res = site.call(method, url, headers)
        # A write key alone is no longer enough: the person's token is needed too
        # (tests/channels/test_inbox_token.py).
        assert res.status_code == 401, (name, res.text)
    assert site.call(method, url, site.admin).status_code in (200, 404)


@pytest.mark.parametrize(("path", "method"), sorted(INGEST))
def test_ingest_routes_need_a_write_key(site: Site, path: str, method: str) -> None:
    body = {"batch": [{"type": "track", "userId": "u", "event": "E"}]}
    if path not in ("/v1/batch", "/v1/b", "/beacon/v1/batch"):
        body = {"userId": "u", "event": "E", "groupId": "g", "previousId": "p"}
    count = site.client.app.state.ctx.events.count()  # type: ignore[attr-defined]
    for headers in ({}, site.admin, _basic(site.ws.secret_key, ""), bearer(site.ws.write_key)):
        res = site.call(method, path, headers, json=body)
        assert res.status_code == 401, res.text
    assert site.client.app.state.ctx.events.count() == count  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", sorted({p for p, _ in ROUTES}))
def test_unregistered_methods_never_answer_with_data(site: Site, path: str) -> None:
    url = site.fill(path, real=True)
    registered = {m for p, m in ROUTES if p == path}
    for method in ALL_METHODS:
        if method in registered:
            continue
        for headers in ({}, basic(site.ws.write_key)):
            res = site.call(method, url, headers)
            assert res.status_code in (401, 405), (method, res.status_code, res.text)


BUNDLE = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


@pytest.mark.parametrize("name", [*BUNDLE, "index.html", "%2e%2e", "swagger-ui.css%00.js"])
def test_docs_assets_need_a_secret_key_and_serve_only_the_bundle(site: Site, name: str) -> None:
    url = f"/docs/assets/{name}"
    assert site.call("GET", url).status_code == 401
    assert site.call("GET", url, basic(site.ws.write_key)).status_code == 401
    res = site.call("GET", url, _basic("browser", site.ws.secret_key))
    if name in BUNDLE:
        assert res.status_code == 200 and len(res.content) > 100
    else:
        assert res.status_code == 404, res.text


@pytest.mark.parametrize(
    "name", ["..%2F..%2F..%2Fetc%2Fpasswd", "..%2Fswagger-ui.css", "a%2F..%2F..%2Fopenapi.json"]
)
def test_docs_assets_path_traversal_finds_nothing(site: Site, name: str) -> None:
    for headers in ({}, site.admin):
        res = site.call("GET", f"/docs/assets/{name}", headers)
        assert res.status_code in (401, 404), res.text
        assert b"root:" not in res.content and b"openapi" not in res.content


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_docs_and_spec_open_with_a_secret_key(site: Site, path: str) -> None:
    assert site.call("GET", path).status_code == 401
    for headers in (site.admin, _basic("anyone", site.ws.secret_key)):
        res = site.call("GET", path, headers)
        assert res.status_code == 200, res.text
    assert "/v1/track" in site.call("GET", "/openapi.json", site.admin).json()["paths"]


@pytest.mark.parametrize(
    "path", ["/v1/events", "/v1/sources", "/v1/keys", "/v1/me", "/openapi.json", "/docs"]
)
@pytest.mark.parametrize("how", ["basic-user", "basic-password", "bearer"])
def test_a_write_key_never_reads(site: Site, path: str, how: str) -> None:
    wk = site.ws.write_key
    headers = {"basic-user": basic(wk), "basic-password": _basic("", wk), "bearer": bearer(wk)}[how]
    res = site.call("GET", path, headers)
    assert res.status_code == 401, res.text
    assert wk not in res.text
    assert site.call("GET", path, site.admin).status_code == 200  # the route itself works


# -- roles -------------------------------------------------------------------------------------

# What each role may do: (method, path, body) -> success status, or 403.
ACTIONS: dict[str, tuple[str, str, Any, int]] = {
    "read-events": ("GET", "/v1/events", None, 200),
    "list-sources": ("GET", "/v1/sources", None, 200),
    "read-source": ("GET", "/v1/sources/{source_id}", None, 200),
    "create-source": ("POST", "/v1/sources", {"name": "shop"}, 201),
    "add-write-key": ("POST", "/v1/sources/{source_id}/write-keys", None, 201),
    "revoke-source": ("DELETE", "/v1/sources/{victim_source}", None, 200),
    "revoke-write-key": ("DELETE", "/v1/sources/{victim_source}/write-keys/{victim_wk}", None, 200),
    "list-keys": ("GET", "/v1/keys", None, 200),
    "create-key": ("POST", "/v1/keys", {"name": "ci", "role": "viewer"}, 201),
    "create-admin-key": ("POST", "/v1/keys", {"name": "escalate", "role": "admin"}, 201),
    "revoke-key": ("DELETE", "/v1/keys/{victim_key}", None, 200),
    "whoami": ("GET", "/v1/me", None, 200),
    "openapi": ("GET", "/openapi.json", None, 200),
}
ALLOWED: dict[Role, set[str]] = {
    Role.admin: set(ACTIONS),
    Role.marketer: {"read-events", "list-sources", "read-source", "whoami", "openapi"},
    Role.analyst: {"read-events", "list-sources", "read-source", "whoami", "openapi"},
    Role.viewer: {"list-sources", "read-source", "whoami", "openapi"},
}


def _state(site: Site) -> tuple[Any, Any]:
    sources = site.call("GET", "/v1/sources", site.admin).json()
    keys = site.call("GET", "/v1/keys", site.admin).json()
    return sources, keys


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", ACTIONS)
def test_role_permissions(site: Site, role: Role, action: str) -> None:
    method, path, body, success = ACTIONS[action]
    _, secret = site.new_key(role)
    victim = site.call("POST", "/v1/sources", site.admin, {"name": "victim"}).json()
    values = {
        "source_id": site.ws.keys.source_id,
        "victim_source": victim["source_id"],
        "victim_wk": victim["write_keys"][0]["key_id"],
        "victim_key": site.new_key(Role.viewer)[0],
    }
    before = _state(site)
    res = site.call(method, path.format(**values), bearer(secret), body)
    if action in ALLOWED[role]:
        assert res.status_code == success, res.text
        if action == "whoami":
            assert res.json()["role"] == role.value
    else:
        assert res.status_code == 403, res.text
        assert role.value in res.json()["message"]
        assert _state(site) == before  # a refused call changes nothing


def test_analyst_reads_events_but_cannot_create_sources_or_keys(site: Site) -> None:
    _, analyst = site.new_key(Role.analyst)
    assert (
        site.call(
            "POST", "/v1/track", basic(site.ws.write_key), {"userId": "u", "event": "Seen"}
        ).status_code
        == 200
    )
    events = site.call("GET", "/v1/events", bearer(analyst))
    assert events.status_code == 200 and any(e["event"] == "Seen" for e in events.json())
    assert site.call("POST", "/v1/sources", bearer(analyst), {"name": "x"}).status_code == 403
    assert site.call("POST", "/v1/keys", bearer(analyst), {"name": "x"}).status_code == 403
    assert site.call("POST", "/v1/sources", site.admin, {"name": "x"}).status_code == 201
    created = site.call("POST", "/v1/keys", site.admin, {"name": "x", "role": "analyst"})
    assert created.status_code == 201 and created.json()["secret_key"].startswith("sk_")


# -- revocation and storage of secrets --------------------------------------------------------


def test_revoked_secret_key_is_refused_at_once(own_site: Site) -> None:
    key_id, secret = own_site.new_key(Role.analyst)
    _, other = own_site.new_key(Role.analyst)
    assert own_site.call("GET", "/v1/events", bearer(secret)).status_code == 200  # cached now
    res = own_site.call("DELETE", f"/v1/keys/{key_id}", own_site.admin)
    assert res.status_code == 200 and res.json()["revoked_at"] is not None
    for headers in (bearer(secret), _basic("browser", secret)):
        for path in ("/v1/events", "/v1/me", "/openapi.json"):
            assert own_site.call("GET", path, headers).status_code == 401
    assert own_site.call("GET", "/v1/events", bearer(other)).status_code == 200
    # Revoking again is harmless and does not bring the key back.
    assert own_site.call("DELETE", f"/v1/keys/{key_id}", own_site.admin).status_code == 200
    assert own_site.call("GET", "/v1/me", bearer(secret)).status_code == 401


def test_key_revoked_through_the_service_is_refused_at_once(own_site: Site) -> None:
    key_id, secret = own_site.new_key(Role.admin)
    assert own_site.call("GET", "/v1/keys", bearer(secret)).status_code == 200
    own_site.client.app.state.ctx.access.revoke_api_key(key_id)  # type: ignore[attr-defined]
    assert own_site.call("GET", "/v1/keys", bearer(secret)).status_code == 401


def test_admin_that_revokes_itself_is_locked_out(own_site: Site) -> None:
    res = own_site.call("DELETE", f"/v1/keys/{own_site.ws.keys.key_id}", own_site.admin)
    assert res.status_code == 200
    assert own_site.call("GET", "/v1/me", own_site.admin).status_code == 401


def test_secret_keys_are_stored_only_as_hashes(own_site: Site) -> None:
    secrets = [own_site.ws.secret_key] + [own_site.new_key(role)[1] for role in Role]
    store = own_site.client.app.state.ctx.store  # type: ignore[attr-defined]
    with store.session() as s:
        rows = s.fetch_dicts("SELECT * FROM api_keys", step="test.scan_keys")
        hashes = {r["key_hash"] for r in rows}
        for secret in secrets:
            assert all(secret not in str(value) for row in rows for value in row.values())
            assert hashlib.sha256(secret.encode()).hexdigest() in hashes
        # Nowhere else either: every text column of every table.
        columns = s.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR' AND table_schema = 'main'",
            step="test.columns",
        )
        assert ("api_keys", "key_hash") in columns
        for table, column in columns:
            for secret in secrets:
                hit = s.fetchone(
                    f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)',
                    [secret],
                    step="test.scan",
                )
                assert hit == (0,), (table, column)
        s.execute("CHECKPOINT", step="test.checkpoint")
    on_disk = b"".join(p.read_bytes() for p in own_site.ws.path.glob("unicx.duckdb*"))
    assert on_disk
    assert not any(secret.encode() in on_disk for secret in secrets)
    listing = own_site.call("GET", "/v1/keys", own_site.admin).text
    assert not any(secret in listing for secret in secrets)
    assert "secret_key" not in listing


@pytest.mark.parametrize(("path", "method"), sorted(SDK_CONFIG))
def test_sdk_config_needs_a_live_write_key(site: Site, path: str, method: str) -> None:
    def with_key(key: str) -> str:
        return path.replace("{write_key}", key) if "{" in path else f"{path}?writeKey={key}"

    assert site.call(method, with_key(site.ws.write_key), {}).status_code == 200
    # An unknown key, or a secret key in its place, whatever else the request carries.
    for bad in ("wk_unknown", site.ws.secret_key):
        for name, headers in {**_credentials(site), "secret-key": site.admin}.items():
            res = site.call(method, with_key(bad), headers)
            assert res.status_code in (401, 404), (name, res.text)
