"""Every route with a body has a size cap (max_body_bytes), before authentication: FastAPI
reads a model body before it checks the key, so without a cap anyone (no key at all) could make
the server hold gigabytes. Against a real server, with and without Content-Length."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import basic
from tests.role_server import RoleServer, role_server
from unicx.auth.models import Role

pytestmark = pytest.mark.slow
LIMIT = 1024 * 1024  # the default max_body_bytes
ROUTES = [
    ("POST", "/v1/sources"), ("POST", "/v1/keys"), ("POST", "/v1/identity/merges"),
    ("POST", "/v1/identity/match"), ("POST", "/v1/identity/reviews/pair_1"),
    ("PUT", "/v1/profiles/p1/consent"), ("POST", "/v1/traits/validate"), ("POST", "/v1/traits"),
    ("POST", "/v1/audiences"), ("POST", "/v1/events/prune"), ("POST", "/v1/segments"),
    ("POST", "/v1/journeys/validate"), ("POST", "/v1/offers"), ("PUT", "/v1/channels/email"),
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleServer]:
    path = tmp_path_factory.mktemp("bodies") / "ws"
    with role_server(path, {"UNICX_MAX_BATCH_BYTES": str(3 * LIMIT)}) as s:
        yield s


def _json_of(size: int) -> bytes:
    return b'{"name": "' + b"a" * size + b'"}'


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_oversized_body_is_413_without_any_key(site: RoleServer, method: str, path: str) -> None:
    r = httpx.request(method, site.server.url + path, content=_json_of(2 * LIMIT), timeout=60)
    assert r.status_code == 413, r.text
    issue = r.json()["issues"][0]
    assert (issue["field"], issue["rule"]) == ("$", "max_body_bytes")
    assert str(LIMIT) in r.json()["message"]


def test_viewer_gets_413_and_small_bodies_still_work(site: RoleServer) -> None:
    with site.client(Role.viewer) as viewer:
        assert viewer.post("/v1/traits", content=_json_of(2 * LIMIT)).status_code == 413
        assert viewer.post("/v1/traits", json={"name": "x"}).status_code == 403  # role, as before
    with site.client(Role.admin) as admin:
        r = admin.post("/v1/keys", json={"name": "ci", "role": "viewer"})
        assert r.status_code == 201, r.text
        # Just under the cap is not refused for its size (the model rejects the name).
        r = admin.post("/v1/sources", content=_json_of(LIMIT - 100))
        assert r.status_code in (400, 422) and "max_body_bytes" not in r.text


def _chunked_post(port: int, path: str, total: int) -> tuple[bytes, int]:
    """POST ``total`` bytes with Transfer-Encoding: chunked (no Content-Length); the answer as
    soon as one comes, even while the body is still being sent, and how many bytes were sent.

    A server that stops reading closes with unread bytes, so the client's kernel may receive a
    reset and drop the answer before it is read (RFC 9112 §9.6): then the answer is empty but
    far fewer than ``total`` bytes went out."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    block = b"a" * (256 * 1024)
    answer, sent = b"", 0
    try:
        for _ in range(total // len(block)):
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before the end of the body
            sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            sent += len(block)
        else:
            sock.sendall(b"0\r\n\r\n")
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    return answer, sent


def test_chunked_body_without_length_stops_at_the_cap(site: RoleServer) -> None:
    before = site.rss_kib()
    total = 400 << 20  # 400 MiB, no key
    answer, sent = _chunked_post(site.server.port, "/v1/traits", total)
    if answer:
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"max_body_bytes" in answer
    else:  # reset before the answer could be read: the server still refused the rest
        assert sent < total // 10, sent
    assert site.rss_kib() - before < 100 << 10  # not the 400 MiB the body would take
    with site.client(Role.admin) as admin:  # and the server still serves
        assert admin.get("/v1/keys").status_code == 200


def test_ingest_keeps_its_own_limit(site: RoleServer) -> None:
    # A batch above max_body_bytes but within max_batch_bytes (3 MiB here) is ingested.
    with site.client(Role.admin) as admin:
        write_key = admin.post("/v1/sources", json={"name": "web"}).json()["write_keys"][0][
            "write_key"
        ]
    calls = [
        {"type": "track", "event": "Viewed", "userId": f"u{i}", "properties": {"x": "y" * 500}}
        for i in range(3000)
    ]
    body = json.dumps({"batch": calls}).encode()
    assert LIMIT < len(body) < 3 * LIMIT
    r = httpx.post(site.server.url + "/v1/batch", content=body, headers=basic(write_key))
    assert r.status_code == 200, r.text
