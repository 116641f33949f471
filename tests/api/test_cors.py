"""CORS against a real server: write-key routes answer any origin (preflight without a key),
secret-key routes answer none; and the body forms browsers send (text/plain with the write key
in the body, a beacon with the key in the URL) are ingested once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually
from unicx.config import load_settings
from unicx.workspace import init_workspace

ORIGIN = "https://shop.example.vn"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("cors") / "ws"
    settings = load_settings(workspace=path)
    return Workspace(path, settings, init_workspace(settings))


@pytest.fixture(scope="module")
def server(workspace: Workspace) -> Iterator[ServerProcess]:
    """One real server for the module (each test uses its own message ids)."""
    proc = ServerProcess(workspace.path).start(timeout=120)
    try:
        yield proc
    finally:
        proc.stop()


def _preflight(server: ServerProcess, path: str, headers: str = "content-type") -> httpx.Response:
    return httpx.options(
        server.url + path,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": headers},
    )  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/v1/track", "/v1/t", "/v1/batch", "/v1/b", "/beacon/v1/batch", "/sourceConfig/",
     "/v1/projects/wk_x/settings", "/v1/profiles/p1/messages", "/v1/profiles/p1/messages/m/seen"],
)  # fmt: skip
def test_write_key_routes_allow_any_origin(server: ServerProcess, path: str) -> None:
    res = _preflight(server, path, "authorization, content-type, anonymousid")
    assert res.status_code == 204 and res.content == b""
    assert res.headers["access-control-allow-origin"] == "*"
    assert "POST" in res.headers["access-control-allow-methods"]
    assert res.headers["access-control-allow-headers"] == "authorization, content-type, anonymousid"
    assert "access-control-allow-credentials" not in res.headers  # never with cookies
    # Not a header list: nothing granted (the browser then refuses the request).
    assert "access-control-allow-headers" not in _preflight(server, path, "a b; c").headers


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/sources"), ("POST", "/v1/keys"), ("GET", "/v1/events"),
     ("GET", "/v1/profiles/p1"), ("POST", "/v1/traits/validate"), ("GET", "/v1/me"),
     ("GET", "/v1/projects/x/other"), ("POST", "/v1/tracks")],
)  # fmt: skip
def test_secret_key_routes_answer_no_origin(
    server: ServerProcess, workspace: Workspace, method: str, path: str
) -> None:
    pre = _preflight(server, path, "authorization")
    assert pre.status_code in (401, 404, 405)
    assert not any(h.startswith("access-control-") for h in pre.headers), pre.headers
    # Even a call carrying a valid secret key gets no permission for a page to read it.
    res = httpx.request(
        method, server.url + path, headers={"Origin": ORIGIN, **bearer(workspace.secret_key)}
    )
    assert res.status_code < 500
    assert not any(h.startswith("access-control-") for h in res.headers), res.headers


def _events(server: ServerProcess, secret: str) -> list[dict[str, object]]:
    res = httpx.get(f"{server.url}/v1/events", headers=bearer(secret))
    assert res.status_code == 200
    events: list[dict[str, object]] = res.json()
    return events


def _ids(server: ServerProcess, workspace: Workspace, prefix: str) -> list[str]:
    ids = [str(e["messageId"]) for e in _events(server, workspace.secret_key)]
    return [i for i in ids if i.startswith(prefix)]


def test_browser_body_forms_stored_once(server: ServerProcess, workspace: Workspace) -> None:
    wk, text = workspace.write_key, {"Origin": ORIGIN, "Content-Type": "text/plain"}
    track = {"type": "track", "event": "Viewed", "anonymousId": "a1", "messageId": "m-text"}
    # analytics-next: text/plain JSON, writeKey in the body, no Authorization (no preflight).
    for path in ("/v1/track", "/v1/t", "/v1/t"):  # the retry is not stored again
        res = httpx.post(server.url + path, content=json.dumps({**track, "writeKey": wk}),
                         headers=text)  # fmt: skip
        assert res.status_code == 200, res.text
        assert res.headers["access-control-allow-origin"] == "*"
    # A sendBeacon of RudderStack: text/plain batch, the key only in the URL.
    beacon = {"batch": [{**track, "messageId": "m-beacon"}], "sentAt": "2026-12-07T10:00:00Z"}
    res = httpx.post(f"{server.url}/beacon/v1/batch?writeKey={wk}", content=json.dumps(beacon),
                     headers=text)  # fmt: skip
    assert res.status_code == 200, res.text
    # analytics-next batching: /v1/b, keepalive fetch (same bytes on the wire).
    batch = {"writeKey": wk, "batch": [{**track, "messageId": "m-b"}, {"type": "page"}]}
    res = httpx.post(f"{server.url}/v1/b", content=json.dumps(batch), headers=text)
    assert res.status_code == 200 and res.json()["rejected"] == [1], res.text  # per-event error
    assert res.headers["access-control-allow-origin"] == "*"  # so the page can read why
    eventually(lambda: len(_ids(server, workspace, "m-")) >= 3, "three events")
    assert sorted(_ids(server, workspace, "m-")) == ["m-b", "m-beacon", "m-text"]


def test_browser_forms_refuse_bad_keys(server: ServerProcess, workspace: Workspace) -> None:
    text = {"Origin": ORIGIN, "Content-Type": "text/plain"}
    body = json.dumps(
        {"event": "E", "anonymousId": "a", "writeKey": "wk_forged", "messageId": "x-1"}
    )
    for path in ("/v1/t", "/v1/track", "/beacon/v1/batch?writeKey=wk_forged"):
        res = httpx.post(server.url + path, content=body, headers=text)
        assert res.status_code == 401, res.text
        assert res.headers["access-control-allow-origin"] == "*"
    # The secret key is no write key, in the body or in the URL.
    res = httpx.post(f"{server.url}/beacon/v1/batch?writeKey={workspace.secret_key}",
                     content=json.dumps({"batch": []}), headers=text)  # fmt: skip
    assert res.status_code == 401
    res = httpx.post(f"{server.url}/v1/t", content=b"{not json", headers=text)
    assert res.status_code == 400 and res.json()["issues"]
    assert _ids(server, workspace, "x-") == []


def test_sdk_settings_documents(server: ServerProcess, workspace: Workspace) -> None:
    wk = workspace.write_key
    res = httpx.get(f"{server.url}/v1/projects/{wk}/settings", headers={"Origin": ORIGIN})
    assert res.status_code == 200 and res.headers["access-control-allow-origin"] == "*"
    segment = res.json()["integrations"]["Segment.io"]
    host = server.url.removeprefix("http://")
    assert segment == {**segment, "apiKey": wk, "apiHost": f"{host}/v1", "protocol": "http"}
    assert res.json()["metrics"]["sampleRate"] == 0
    assert httpx.get(f"{server.url}/v1/projects/wk_nope/settings").status_code == 404
    url = f"{server.url}/sourceConfig/?p=npm&v=3.34.1&writeKey={wk}"
    res = httpx.get(url, headers={"Origin": ORIGIN, **basic(wk)})
    assert res.status_code == 200, res.text
    source = res.json()["source"]
    assert source["id"] == workspace.keys.source_id and source["enabled"] is True
    assert source["destinations"] == [] and source["config"]["statsCollection"]["errors"] == {
        "enabled": False
    }
    other = f"{server.url}/sourceConfig/?writeKey=wk_other"
    assert httpx.get(other, headers=basic(wk)).status_code == 401  # the two keys must agree
