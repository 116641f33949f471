"""Malformed, oversized and hostile input on the Segment ingest endpoints.

Every case asserts what a client sees (the documented status, and for a 4xx the field and rule
named in the body), that nothing of the bad part reached the ``events`` table, and that no
request produced a 500 (the TestClient re-raises server exceptions; ``Api.post`` checks codes).
Most cases share one app and workspace per module and compare event counts before and after;
cases that revoke keys use the per-test ``client``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer
from unicx.api import create_app
from unicx.config import load_settings
from unicx.workspace import init_workspace

SINGLE = ("track", "identify", "page", "screen", "group", "alias")
ENDPOINTS = (*SINGLE, "batch")
MAX_EVENT = 32 * 1024
MAX_BATCH = 500 * 1024

VALID: dict[str, dict[str, Any]] = {
    "track": {"userId": "u1", "event": "Order Completed", "properties": {"total": 250000}},
    "identify": {"userId": "u1", "traits": {"email": "lan@example.vn", "city": "Hà Nội"}},
    "page": {"anonymousId": "a1", "name": "Home", "properties": {"path": "/"}},
    "screen": {"userId": "u1", "name": "Cart"},
    "group": {"userId": "u1", "groupId": "g1", "traits": {"name": "Acme"}},
    "alias": {"userId": "u1", "previousId": "a1"},
}


class _Drop:
    """Marks a field to remove from a valid message."""


DROP = _Drop()


def message(type_: str, **changes: Any) -> dict[str, Any]:
    doc = dict(VALID[type_])
    for key, value in changes.items():
        if isinstance(value, _Drop):
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def item(type_: str, **changes: Any) -> dict[str, Any]:
    return {"type": type_, **message(type_, **changes)}


def nested(depth: int, *, arrays: bool = False) -> bytes:
    """A JSON value whose nesting depth is ``depth`` (``{}`` is 1)."""
    if arrays:
        return b"[" * depth + b"]" * depth
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def event_of_depth(depth: int, field: str = "properties", *, arrays: bool = False) -> bytes:
    """A track call nested ``depth`` deep, counting the event object itself as level 1."""
    inner = b'{"a":' + nested(depth - 2, arrays=True) + b"}" if arrays else nested(depth - 1)
    return b'{"userId":"u1","event":"Deep","' + field.encode() + b'":' + inner + b"}"


def padded(size: int, type_: str = "track") -> bytes:
    """A valid event of exactly ``size`` bytes."""
    doc = message(type_, properties={"pad": ""})
    base = len(json.dumps(doc).encode())
    doc["properties"]["pad"] = "x" * (size - base)
    body = json.dumps(doc).encode()
    assert len(body) == size
    return body


def iso(ts: datetime) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def issues_of(res: Response) -> set[tuple[str, str]]:
    return {(i["field"], i["rule"]) for i in res.json().get("issues", [])}


def assert_rejected(res: Response, status: int, field: str, rule: str) -> dict[str, Any]:
    assert res.status_code == status, res.text
    body: dict[str, Any] = res.json()
    assert body["success"] is False
    assert (field, rule) in issues_of(res), body
    return body


@dataclass
class Api:
    client: TestClient
    ws: Workspace

    def post(
        self,
        endpoint: str,
        doc: Any = None,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Response:
        content = body if body is not None else json.dumps(doc).encode()
        sent = {"Content-Type": "application/json"}
        if auth:
            sent.update(basic(self.ws.write_key))
        sent.update(headers or {})
        res = self.client.post(f"/v1/{endpoint}", content=content, headers=sent)
        assert res.status_code < 500, res.text
        return res

    def count(self) -> int:
        return int(self.client.app.state.ctx.events.count())  # type: ignore[attr-defined]

    def events(self) -> list[dict[str, Any]]:
        res = self.client.get("/v1/events?limit=1000", headers=bearer(self.ws.secret_key))
        assert res.status_code == 200, res.text
        out: list[dict[str, Any]] = res.json()
        return out

    def event(self, message_id: str) -> dict[str, Any]:
        (found,) = [e for e in self.events() if e["messageId"] == message_id]
        return found


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One workspace and app for the cases that only add events."""
    path = tmp_path_factory.mktemp("bad_input") / "ws"
    settings = load_settings(workspace=path)
    ws = Workspace(path, settings, init_workspace(settings))
    with TestClient(create_app(settings)) as client:
        yield Api(client, ws)


@pytest.fixture
def fresh(client: TestClient, workspace: Workspace) -> Api:
    """A workspace of its own, for cases that change keys."""
    return Api(client, workspace)


# -- the baseline: the valid messages the cases below break are accepted -----------------


@pytest.mark.parametrize("type_", SINGLE)
def test_valid_message_is_stored(api: Api, type_: str) -> None:
    before = api.count()
    res = api.post(type_, message(type_))
    assert res.status_code == 200, res.text
    assert api.count() == before + 1
    res = api.post("batch", {"batch": [item(type_), item(type_)]})
    assert res.json() == {"success": True}
    assert api.count() == before + 3


# -- malformed bodies ---------------------------------------------------------------------

MALFORMED = {
    "empty": b"",
    "truncated": b'{"userId": "u1", "event": "A',
    "unclosed": b'{"userId": "u1"',
    "trailing-comma": b'{"userId": "u1",}',
    "single-quotes": b"{'userId': 'u1'}",
    "nan": b'{"userId": "u1", "event": "A", "properties": {"x": NaN}}',
    "bare-word": b"track",
    "raw-nul": b'{"userId": "u\x001", "event": "A"}',
    "raw-newline-in-string": b'{"userId": "u\n1", "event": "A"}',
}
NOT_OBJECT = {"null": b"null", "array": b"[]", "string": b'"track"', "number": b"42"}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_400_for_the_whole_request(api: Api, endpoint: str, body: bytes) -> None:
    before = api.count()
    assert_rejected(api.post(endpoint, body=body), 400, "$", "json")
    assert api.count() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("body", NOT_OBJECT.values(), ids=NOT_OBJECT.keys())
def test_body_that_is_not_an_object_is_400(api: Api, endpoint: str, body: bytes) -> None:
    before = api.count()
    assert_rejected(api.post(endpoint, body=body), 400, "$", "object")
    assert api.count() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("tail", [b" {}", b"x", b",", b"\x00"], ids=["object", "x", "comma", "nul"])
def test_trailing_data_after_the_json_is_400(api: Api, endpoint: str, tail: bytes) -> None:
    before = api.count()
    body = json.dumps(_doc(endpoint)).encode() + tail
    assert_rejected(api.post(endpoint, body=body), 400, "$", "json")
    assert api.count() == before


def test_malformed_item_inside_a_batch_rejects_the_whole_request(api: Api) -> None:
    before = api.count()
    good = json.dumps(item("track")).encode()
    body = b'{"batch": [' + good + b', {"type": "track", "userId": }, ' + good + b"]}"
    assert_rejected(api.post("batch", body=body), 400, "$", "json")
    assert api.count() == before


# -- field rules: wrong types, missing ids, per endpoint and per batch item ---------------

WRONG_TYPES: list[tuple[str, dict[str, Any], str, str]] = [
    ("userId-object", {"userId": {"id": 1}}, "userId", "type"),
    ("userId-array", {"userId": ["u1"]}, "userId", "type"),
    ("userId-bool", {"userId": True}, "userId", "type"),
    ("userId-float", {"userId": 1.5}, "userId", "type"),
    ("userId-too-long", {"userId": "u" * 1025}, "userId", "max_length"),
    ("anonymousId-object", {"anonymousId": {"a": 1}}, "anonymousId", "type"),
    ("messageId-array", {"messageId": ["m"]}, "messageId", "type"),
    ("messageId-too-long", {"messageId": "m" * 1025}, "messageId", "max_length"),
    ("properties-list", {"properties": [1, 2]}, "properties", "type"),
    ("properties-number", {"properties": 5}, "properties", "type"),
    ("properties-string", {"properties": '{"a": 1}'}, "properties", "type"),
    ("traits-list", {"traits": ["vip"]}, "traits", "type"),
    ("context-string", {"context": "web"}, "context", "type"),
    ("integrations-number", {"integrations": 1}, "integrations", "type"),
    ("timestamp-number", {"timestamp": 1_700_000_000}, "timestamp", "type"),
    ("timestamp-garbage", {"timestamp": "yesterday at noon"}, "timestamp", "iso8601"),
    ("timestamp-bad-date", {"timestamp": "2024-02-30T10:00:00Z"}, "timestamp", "iso8601"),
    ("sentAt-garbage", {"sentAt": "soon"}, "sentAt", "iso8601"),
    ("name-number", {"name": 7}, "name", "type"),
]

TYPE_RULES: list[tuple[str, str, dict[str, Any], str, str]] = [
    *[
        (
            f"{t}-no-user-or-anonymous-id",
            t,
            {"userId": DROP, "anonymousId": DROP},
            "userId",
            "user_or_anonymous_id",
        )
        for t in SINGLE
        if t != "alias"
    ],
    *[
        (f"{t}-blank-ids", t, {"userId": "  ", "anonymousId": ""}, "userId", "user_or_anonymous_id")
        for t in SINGLE
        if t != "alias"
    ],
    ("track-no-event", "track", {"event": DROP}, "event", "required"),
    ("track-empty-event", "track", {"event": ""}, "event", "required"),
    ("track-blank-event", "track", {"event": "   "}, "event", "required"),
    ("track-null-event", "track", {"event": None}, "event", "required"),
    ("track-event-number", "track", {"event": 42}, "event", "type"),
    ("track-event-object", "track", {"event": {"name": "A"}}, "event", "type"),
    ("track-event-too-long", "track", {"event": "e" * 513}, "event", "max_length"),
    ("page-name-too-long", "page", {"name": "n" * 513}, "name", "max_length"),
    ("group-no-groupId", "group", {"groupId": DROP}, "groupId", "required"),
    ("group-groupId-array", "group", {"groupId": ["g1"]}, "groupId", "type"),
    ("alias-no-userId", "alias", {"userId": DROP}, "userId", "required"),
    ("alias-no-previousId", "alias", {"previousId": DROP}, "previousId", "required"),
    ("alias-previousId-bool", "alias", {"previousId": False}, "previousId", "type"),
]


@pytest.mark.parametrize("type_", SINGLE)
@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [c[1:] for c in WRONG_TYPES],
    ids=[c[0] for c in WRONG_TYPES],
)
def test_wrong_type_is_400_naming_field_and_rule(
    api: Api, type_: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    before = api.count()
    assert_rejected(api.post(type_, message(type_, **changes)), 400, field, rule)
    assert api.count() == before


@pytest.mark.parametrize(
    ("type_", "changes", "field", "rule"),
    [c[1:] for c in TYPE_RULES],
    ids=[c[0] for c in TYPE_RULES],
)
def test_spec_rule_is_400_naming_field_and_rule(
    api: Api, type_: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    before = api.count()
    assert_rejected(api.post(type_, message(type_, **changes)), 400, field, rule)
    assert api.count() == before


BATCH_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    *[(f"track-{c[0]}", item("track", **c[1]), c[2], c[3]) for c in WRONG_TYPES],
    *[(c[0], item(c[1], **c[2]), c[3], c[4]) for c in TYPE_RULES],
    ("unknown-type", {**item("track"), "type": "purchase"}, "type", "enum"),
    ("type-case", {**item("track"), "type": "Track"}, "type", "enum"),
    ("missing-type", message("track"), "type", "required"),
    ("type-number", {**item("track"), "type": 1}, "type", "type"),
]


@pytest.mark.parametrize(
    ("bad", "field", "rule"), [c[1:] for c in BATCH_CASES], ids=[c[0] for c in BATCH_CASES]
)
def test_invalid_batch_item_is_reported_by_index_and_the_others_stored(
    api: Api, bad: dict[str, Any], field: str, rule: str
) -> None:
    before = api.count()
    good = [item("track", messageId=f"ok-{uuid.uuid4()}") for _ in range(2)]
    res = api.post("batch", {"batch": [good[0], bad, good[1]]})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [1]
    assert (f"batch[1].{field}", rule) in issues_of(res), body
    assert all(i["index"] == 1 for i in body["issues"])
    assert api.count() == before + 2
    stored = {e["messageId"] for e in api.events()}
    assert {g["messageId"] for g in good} <= stored


@pytest.mark.parametrize(
    "bad", [1, "track", None, [item("track")], True], ids=["int", "str", "null", "list", "bool"]
)
def test_batch_item_that_is_not_an_object_is_rejected_by_index(api: Api, bad: Any) -> None:
    before = api.count()
    res = api.post("batch", {"batch": [item("track"), bad]})
    assert res.status_code == 200, res.text
    assert res.json()["rejected"] == [1]
    assert ("batch[1]", "object") in issues_of(res)
    assert api.count() == before + 1


def test_batch_with_no_valid_event_is_400_listing_every_index(api: Api) -> None:
    before = api.count()
    res = api.post("batch", {"batch": [item("track", event=""), {"userId": "u1"}, 5]})
    body = assert_rejected(res, 400, "batch[0].event", "required")
    assert body["rejected"] == [0, 1, 2]
    assert body["accepted"] == 0
    assert {("batch[1].type", "required"), ("batch[2]", "object")} <= issues_of(res)
    assert api.count() == before


@pytest.mark.parametrize(
    ("doc", "field", "rule"),
    [
        ({"events": [item("track")]}, "batch", "required"),
        ({"batch": item("track")}, "batch", "type"),
        ({"batch": "[]"}, "batch", "type"),
        ({"batch": [item("track")], "context": []}, "context", "type"),
        ({"batch": [item("track")], "integrations": "all"}, "integrations", "type"),
        ({"batch": [item("track")], "sentAt": 0}, "sentAt", "type"),
    ],
    ids=[
        "no-batch",
        "batch-object",
        "batch-string",
        "context-list",
        "integrations-str",
        "sentAt-number",
    ],
)
def test_bad_batch_envelope_is_400(api: Api, doc: dict[str, Any], field: str, rule: str) -> None:
    before = api.count()
    assert_rejected(api.post("batch", doc), 400, field, rule)
    assert api.count() == before


# -- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", SINGLE)
def test_oversize_single_event_is_413(api: Api, type_: str) -> None:
    before = api.count()
    for size in (MAX_EVENT + 1, 5 * MAX_EVENT):
        res = api.post(type_, body=padded(size, type_))
        assert_rejected(res, 413, "$", "max_event_bytes")
    assert api.count() == before


def test_event_of_exactly_the_limit_is_accepted(api: Api) -> None:
    before = api.count()
    assert api.post("track", body=padded(MAX_EVENT)).status_code == 200
    assert api.count() == before + 1


def test_oversize_event_inside_a_batch_is_rejected_by_index(api: Api) -> None:
    before = api.count()
    big = item("track", properties={"pad": "x" * MAX_EVENT})
    res = api.post("batch", {"batch": [item("track"), big, item("track")]})
    assert res.status_code == 200, res.text
    assert res.json()["rejected"] == [1]
    assert ("batch[1]", "max_event_bytes") in issues_of(res)
    assert api.count() == before + 2


def test_oversize_batch_is_413_and_stores_nothing(api: Api) -> None:
    before = api.count()
    events = [item("track", properties={"pad": "x" * 20_000}) for _ in range(26)]
    body = json.dumps({"batch": events}).encode()
    assert len(body) > MAX_BATCH
    assert_rejected(api.post("batch", body=body), 413, "$", "max_batch_bytes")
    assert api.count() == before


def test_batch_just_under_the_limit_is_accepted(api: Api) -> None:
    before = api.count()
    events = [item("track", properties={"pad": "x" * 20_000}) for _ in range(25)]
    body = json.dumps({"batch": events}).encode()
    assert MAX_BATCH - 30_000 < len(body) <= MAX_BATCH
    assert api.post("batch", body=body).json() == {"success": True}
    assert api.count() == before + 25


# -- a Content-Length that lies --------------------------------------------------------------


def test_content_length_smaller_than_the_body_cannot_sneak_past_the_limit(api: Api) -> None:
    before = api.count()
    res = api.post("track", body=padded(4 * MAX_EVENT), headers={"Content-Length": "10"})
    assert_rejected(res, 413, "$", "max_event_bytes")
    assert api.count() == before


def test_content_length_larger_than_the_limit_is_413_before_reading(api: Api) -> None:
    before = api.count()
    res = api.post("batch", {"batch": [item("track")]}, headers={"Content-Length": str(10**12)})
    assert_rejected(res, 413, "$", "max_batch_bytes")
    assert api.count() == before


def _raw_post(server: ServerProcess, write_key: str, body: bytes, declared: int) -> bytes:
    """POST /v1/track over a raw socket, with any Content-Length, then stop sending."""
    auth = base64.b64encode(f"{write_key}:".encode()).decode()
    head = (
        f"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.slow
def test_lying_content_length_against_a_real_server(
    server: ServerProcess, workspace: Workspace
) -> None:
    body = json.dumps(message("track")).encode()
    # Shorter than the body: the server reads only the declared bytes, truncated JSON.
    answer = _raw_post(server, workspace.write_key, body, declared=10)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400"), answer
    assert b'"rule":"json"' in rest
    # Longer than the body, then the client goes quiet: no answer is owed, nothing is stored,
    # and the server does not log it as a crash.
    answer = _raw_post(server, workspace.write_key, body, declared=len(body) + 500)
    assert not answer.startswith(b"HTTP/1.1 5"), answer
    res = httpx.get(f"{server.url}/v1/events", headers=bearer(workspace.secret_key))
    assert res.status_code == 200, res.text
    assert res.json() == []
    assert server.stop() == 0
    log = server.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log


# -- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("arrays", [False, True], ids=["objects", "arrays"])
@pytest.mark.parametrize("field", ["properties", "traits", "context", "integrations"])
@pytest.mark.parametrize(("depth", "ok"), [(31, True), (32, True), (33, False), (60, False)])
def test_depth_limit_is_32_levels(api: Api, field: str, depth: int, ok: bool, arrays: bool) -> None:
    before = api.count()
    res = api.post("track", body=event_of_depth(depth, field, arrays=arrays))
    if ok:
        assert res.status_code == 200, res.text
        assert api.count() == before + 1
    else:
        assert_rejected(res, 400, field, "max_depth")
        assert api.count() == before


@pytest.mark.parametrize(("depth", "ok"), [(31, True), (32, True), (33, False)])
def test_depth_limit_inside_a_batch_item(api: Api, depth: int, ok: bool) -> None:
    before = api.count()
    deep = b'{"type":"track",' + event_of_depth(depth)[1:]
    good = json.dumps(item("track")).encode()
    res = api.post("batch", body=b'{"batch":[' + good + b"," + deep + b"]}")
    assert res.status_code == 200, res.text
    if ok:
        assert res.json() == {"success": True}
        assert api.count() == before + 2
    else:
        assert res.json()["rejected"] == [1]
        assert ("batch[1].properties", "max_depth") in issues_of(res)
        assert api.count() == before + 1


@pytest.mark.parametrize("field", ["context", "integrations"])
@pytest.mark.parametrize(("depth", "ok"), [(31, True), (32, False), (900, False)])
def test_batch_level_context_is_held_to_the_depth_limit(
    api: Api, field: str, depth: int, ok: bool
) -> None:
    # Batch-level context is merged into every event, so its depth there is depth + 1.
    before = api.count()
    body = b'{"batch":[' + json.dumps(item("track")).encode() + b'],"' + field.encode()
    res = api.post("batch", body=body + b'":' + nested(depth) + b"}")
    if ok:
        assert res.status_code == 200, res.text
        assert api.count() == before + 1
        assert api.events()  # still readable
    else:
        assert_rejected(res, 400, field, "max_depth")
        assert api.count() == before


@pytest.mark.parametrize("endpoint", SINGLE)
def test_ten_thousand_levels_in_a_single_event_is_400(api: Api, endpoint: str) -> None:
    before = api.count()
    head = b'{"userId":"u1","event":"E","previousId":"p","groupId":"g","properties":{"a":'
    res = api.post(endpoint, body=head + nested(10_000, arrays=True) + b"}}")
    assert_rejected(res, 400, "$", "max_depth")
    # Ten thousand levels of objects do not fit in 32 KB; six thousand do.
    objects = b'{"":' * 6_000 + b"{}" + b"}" * 6_000
    assert_rejected(api.post(endpoint, body=head + objects + b"}}"), 400, "$", "max_depth")
    res = api.post(endpoint, body=head + nested(10_000) + b"}}")
    assert_rejected(res, 413, "$", "max_event_bytes")
    assert api.count() == before


def test_ten_thousand_levels_in_one_batch_item_rejects_the_request(api: Api) -> None:
    # Nesting that breaks the parser leaves no batch to take good events from.
    before = api.count()
    good = json.dumps(item("track")).encode()
    deep = b'{"type":"track","userId":"u1","event":"E","properties":' + nested(10_000) + b"}"
    res = api.post("batch", body=b'{"batch":[' + good + b"," + deep + b"," + good + b"]}")
    assert_rejected(res, 400, "$", "max_depth")
    assert api.count() == before


# -- text encoding -----------------------------------------------------------------------------

BAD_UTF8 = {
    "ff": b"\xff",
    "lone-continuation": b"\x80",
    "overlong-slash": b"\xc0\xaf",
    "encoded-surrogate": b"\xed\xa0\x80",
    "truncated-sequence": b"\xe2\x82",
    "above-u10ffff": b"\xf4\x90\x80\x80",
}


@pytest.mark.parametrize("endpoint", SINGLE)
@pytest.mark.parametrize("bad", BAD_UTF8.values(), ids=BAD_UTF8.keys())
def test_invalid_utf8_is_400(api: Api, endpoint: str, bad: bytes) -> None:
    before = api.count()
    body = b'{"userId":"u1","event":"E","groupId":"g","previousId":"p","properties":{"k":"'
    assert_rejected(api.post(endpoint, body=body + bad + b'"}}'), 400, "$", "utf8")
    assert api.count() == before


@pytest.mark.parametrize("bad", BAD_UTF8.values(), ids=BAD_UTF8.keys())
def test_invalid_utf8_in_a_batch_item_rejects_the_request(api: Api, bad: bytes) -> None:
    # A body-level fault (docs/decisions.md), though the issue still says which item.
    before = api.count()
    good = json.dumps(item("track")).encode()
    bad_item = b'{"type":"track","userId":"u' + bad + b'","event":"E"}'
    res = api.post("batch", body=b'{"batch":[' + good + b"," + bad_item + b"," + good + b"]}")
    assert_rejected(res, 400, "batch[1]", "utf8")
    assert api.count() == before


SURROGATES = {
    "high": "\ud800",
    "low": "\udc00",
    "reversed-pair": "\udc00\ud800",
    "high-then-letter": "\ud800A",
}


@pytest.mark.parametrize("where", ["userId", "event", "property-value", "property-key"])
@pytest.mark.parametrize("text", SURROGATES.values(), ids=SURROGATES.keys())
def test_lone_surrogate_escape_is_400(api: Api, where: str, text: str) -> None:
    before = api.count()
    doc = message("track")
    if where == "property-value":
        doc["properties"] = {"k": text}
    elif where == "property-key":
        doc["properties"] = {text: 1}
    else:
        doc[where] = text
    raw = json.dumps(doc).encode()  # ensure_ascii: the surrogate goes out as a \uXXXX escape
    assert b"\\ud" in raw
    assert_rejected(api.post("track", body=raw), 400, "$", "json")
    res = api.post(
        "batch",
        body=b'{"batch":['
        + json.dumps(item("track")).encode()
        + b","
        + b'{"type":"track",'
        + raw[1:]
        + b"]}",
    )
    assert_rejected(res, 400, "$", "json")
    assert api.count() == before


def test_escaped_surrogate_pair_is_a_real_character(api: Api) -> None:
    mid = f"emoji-{uuid.uuid4()}"
    res = api.post(
        "track",
        body=b'{"userId":"u1","event":"Liked \\ud83d\\ude00","messageId":"' + mid.encode() + b'"}',
    )
    assert res.status_code == 200, res.text
    assert api.event(mid)["event"] == "Liked \U0001f600"


def test_escaped_nul_is_stored_exactly(api: Api) -> None:
    mid = f"nul-{uuid.uuid4()}"
    doc = {
        "userId": "u\x001",
        "event": "Sign\x00up",
        "messageId": mid,
        "properties": {"k\x00ey": "v\x00al", "\x00": ["\x00"]},
    }
    res = api.post("track", doc)
    assert res.status_code == 200, res.text
    stored = api.event(mid)
    assert (stored["userId"], stored["event"]) == ("u\x001", "Sign\x00up")
    assert stored["properties"] == doc["properties"]


def test_huge_numbers_are_stored_exactly_or_refused(api: Api) -> None:
    mid = f"big-{uuid.uuid4()}"
    props = {
        "beyond_double": 10**400,
        "beyond_u64": 2**64 + 1,
        "negative": -(10**30),
        "tiny": 5e-324,
        "max_double": 1.7976931348623157e308,
    }
    res = api.post("track", message("track", messageId=mid, properties=props))
    assert res.status_code == 200, res.text
    assert api.event(mid)["properties"] == props
    before = api.count()
    res = api.post("track", body=b'{"userId":"u1","event":"E","properties":{"x":1e400}}')
    assert res.status_code == 400, res.text
    assert [(i["field"].startswith("properties"), i["rule"]) for i in res.json()["issues"]] == [
        (True, "type")
    ]
    assert api.count() == before


# -- timestamps -----------------------------------------------------------------------------


def test_timestamp_two_days_ahead_is_400(api: Api) -> None:
    before = api.count()
    ahead = iso(datetime.now(UTC) + timedelta(days=2))
    for endpoint in SINGLE:
        assert_rejected(
            api.post(endpoint, message(endpoint, timestamp=ahead)), 400, "timestamp", "not_future"
        )
    res = api.post("batch", {"batch": [item("track"), item("track", timestamp=ahead)]})
    assert res.json()["rejected"] == [1]
    assert ("batch[1].timestamp", "not_future") in issues_of(res)
    assert api.count() == before + 1


def test_timestamp_a_few_hours_ahead_is_accepted(api: Api) -> None:
    before = api.count()
    ahead = iso(datetime.now(UTC) + timedelta(hours=23))
    res = api.post("track", message("track", timestamp=ahead))
    assert res.status_code == 200, res.text
    assert api.count() == before + 1


@pytest.mark.parametrize(
    ("ts", "field", "rule"),
    [
        ("1970-01-01T00:00:00Z", "timestamp", "min_timestamp"),
        ("1999-12-31T23:59:59Z", "timestamp", "min_timestamp"),
        ("0001-01-01T00:00:00Z", "timestamp", "min_timestamp"),
        ("9999-12-31T23:59:59Z", "timestamp", "not_future"),
        ("0001-01-01T00:00:00+14:00", "timestamp", "range"),
        ("9999-12-31T23:59:59-14:00", "timestamp", "range"),
    ],
)
def test_timestamp_out_of_bounds_is_400(api: Api, ts: str, field: str, rule: str) -> None:
    before = api.count()
    assert_rejected(api.post("track", message("track", timestamp=ts)), 400, field, rule)
    assert_rejected(api.post("track", message("track", originalTimestamp=ts)), 400, field, rule)
    assert api.count() == before


@pytest.mark.parametrize(
    ("ts", "sent_at", "rule"),
    [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "min_timestamp"),
        ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "not_future"),
    ],
)
def test_skew_correction_beyond_the_calendar_is_400(
    api: Api, ts: str, sent_at: str, rule: str
) -> None:
    before = api.count()
    res = api.post("track", message("track", timestamp=ts, sentAt=sent_at))
    assert_rejected(res, 400, "timestamp", rule)
    assert api.count() == before


def test_first_valid_instant_and_naive_timestamps_are_utc(api: Api) -> None:
    first, naive = f"first-{uuid.uuid4()}", f"naive-{uuid.uuid4()}"
    assert (
        api.post(
            "track", message("track", timestamp="2000-01-01T00:00:00Z", messageId=first)
        ).status_code
        == 200
    )
    assert (
        api.post(
            "track", message("track", timestamp="2024-05-06T07:08:09", messageId=naive)
        ).status_code
        == 200
    )
    assert api.event(first)["timestamp"] == "2000-01-01T00:00:00Z"
    assert api.event(naive)["timestamp"] == "2024-05-06T07:08:09Z"


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    "client_offset", [timedelta(hours=-1), timedelta(days=3)], ids=["1h-behind", "3d-ahead"]
)
def test_sent_at_corrects_the_client_clock(api: Api, client_offset: timedelta) -> None:
    mid = f"skew-{uuid.uuid4()}"
    client_now = datetime.now(UTC) + client_offset
    happened = client_now - timedelta(minutes=5)
    start = datetime.now(UTC)
    res = api.post(
        "track", message("track", messageId=mid, timestamp=iso(happened), sentAt=iso(client_now))
    )
    end = datetime.now(UTC)
    assert res.status_code == 200, res.text
    stored = api.event(mid)
    ts = _ts(stored["timestamp"])
    # Five minutes before the server received it, whatever the device clock said.
    assert start - timedelta(minutes=5, seconds=1) <= ts <= end - timedelta(minutes=5)
    assert _ts(stored["originalTimestamp"]) == happened
    assert _ts(stored["sentAt"]) == client_now
    assert ts - _ts(stored["receivedAt"]) == happened - client_now


def test_batch_sent_at_corrects_every_item(api: Api) -> None:
    client_now = datetime.now(UTC) - timedelta(hours=1)
    mids = [f"bskew-{uuid.uuid4()}" for _ in range(2)]
    items = [
        item("track", messageId=mids[0], timestamp=iso(client_now - timedelta(minutes=1))),
        item("track", messageId=mids[1], timestamp=iso(client_now - timedelta(minutes=2))),
    ]
    res = api.post("batch", {"batch": items, "sentAt": iso(client_now)})
    assert res.json() == {"success": True}
    for mid, minutes in zip(mids, (1, 2), strict=True):
        stored = api.event(mid)
        delta = _ts(stored["receivedAt"]) - _ts(stored["timestamp"])
        assert delta == timedelta(minutes=minutes)


# -- Content-Encoding ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["track", "batch"])
def test_gzip_body_is_accepted(api: Api, endpoint: str) -> None:
    before = api.count()
    doc = {"batch": [item("track")]} if endpoint == "batch" else message("track")
    res = api.post(
        endpoint, body=gzip.compress(json.dumps(doc).encode()), headers={"Content-Encoding": "gzip"}
    )
    assert res.status_code == 200, res.text
    assert api.count() == before + 1


@pytest.mark.parametrize(
    ("endpoint", "inflated"), [("batch", 2_000_000), ("batch", MAX_BATCH + 1), ("track", 200_000)]
)
def test_gzip_bomb_is_413(api: Api, endpoint: str, inflated: int) -> None:
    before = api.count()
    if endpoint == "batch":
        head, tail = json.dumps({"batch": [item("track")] * 3})[:-2].encode(), b"]}"
    else:
        head, tail = json.dumps(message("track"))[:-1].encode(), b"}"
    plain = head + b" " * (inflated - len(head) - len(tail)) + tail
    body = gzip.compress(plain, compresslevel=9)
    assert len(body) < 10_000
    res = api.post(endpoint, body=body, headers={"Content-Encoding": "gzip"})
    rule = "max_batch_bytes" if endpoint == "batch" else "max_event_bytes"
    assert_rejected(res, 413, "$", rule)
    assert api.count() == before


def _gzipped_track() -> bytes:
    return gzip.compress(json.dumps(message("track")).encode())


BAD_GZIP = {
    "not-gzip": lambda: json.dumps(message("track")).encode(),
    "garbage": lambda: b"\x1f\x8b\x08\x00garbage-garbage-garbage",
    "empty": lambda: b"",
    "bad-crc": lambda: _gzipped_track()[:-8] + b"\0\0\0\0" + _gzipped_track()[-4:],
    "no-trailer": lambda: _gzipped_track()[:-8],
    "cut-in-half": lambda: _gzipped_track()[: len(_gzipped_track()) // 2],
    "trailing-bytes": lambda: _gzipped_track() + b"tail",
}


@pytest.mark.parametrize("endpoint", ["track", "batch"])
@pytest.mark.parametrize("make", BAD_GZIP.values(), ids=BAD_GZIP.keys())
def test_invalid_gzip_is_400(api: Api, endpoint: str, make: Any) -> None:
    before = api.count()
    res = api.post(endpoint, body=make(), headers={"Content-Encoding": "gzip"})
    assert_rejected(res, 400, "$", "gzip")
    assert api.count() == before


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "zstd", "gzip, br", "x-gzip2"])
@pytest.mark.parametrize("endpoint", ["track", "batch"])
def test_unsupported_content_encoding_is_415(api: Api, endpoint: str, encoding: str) -> None:
    before = api.count()
    doc = {"batch": [item("track")]} if endpoint == "batch" else message("track")
    res = api.post(endpoint, doc, headers={"Content-Encoding": encoding})
    assert_rejected(res, 415, "Content-Encoding", "enum")
    assert api.count() == before


# -- write keys ------------------------------------------------------------------------------


def _doc(endpoint: str, **extra: Any) -> dict[str, Any]:
    if endpoint == "batch":
        return {"batch": [item("track")], **extra}
    return {**message(endpoint), **extra}


def _basic_header(user: str, password: str = "") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


BAD_CREDENTIALS = {
    "unknown-key": _basic_header("wk_not-a-key"),
    "empty-user": _basic_header(""),
    "key-as-password": None,  # filled per test: the write key in the password slot
    "not-base64": {"Authorization": "Basic !!!not-base64!!!"},
    "bearer": None,  # filled per test: the write key as a Bearer token
    "digest": {"Authorization": "Digest username=x"},
}


def _credentials(name: str, write_key: str) -> dict[str, str]:
    if name == "key-as-password":
        return _basic_header("", write_key)
    if name == "bearer":
        return {"Authorization": f"Bearer {write_key}"}
    headers = BAD_CREDENTIALS[name]
    assert headers is not None
    return headers


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("cred", BAD_CREDENTIALS.keys())
def test_bad_write_key_is_401(api: Api, endpoint: str, cred: str) -> None:
    before = api.count()
    res = api.post(
        endpoint, _doc(endpoint), headers=_credentials(cred, api.ws.write_key), auth=False
    )
    assert res.status_code == 401, res.text
    assert res.headers["WWW-Authenticate"].startswith("Basic")
    assert api.count() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_absent_write_key_is_401(api: Api, endpoint: str) -> None:
    before = api.count()
    assert api.post(endpoint, _doc(endpoint), auth=False).status_code == 401
    assert api.post(endpoint, _doc(endpoint, writeKey="wk_nope"), auth=False).status_code == 401
    assert api.count() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_secret_key_is_not_a_write_key(api: Api, endpoint: str) -> None:
    before = api.count()
    for headers in (_basic_header(api.ws.secret_key), bearer(api.ws.secret_key)):
        res = api.post(endpoint, _doc(endpoint), headers=headers, auth=False)
        assert res.status_code == 401, res.text
    assert api.count() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_write_key_in_the_body_is_accepted(api: Api, endpoint: str) -> None:
    # Segment's alternative to the header; the revocation cases below check it too.
    before = api.count()
    res = api.post(endpoint, _doc(endpoint, writeKey=api.ws.write_key), auth=False)
    assert res.status_code == 200, res.text
    assert api.count() == before + 1


def _write_key_id(fresh: Api) -> str:
    res = fresh.client.get(
        f"/v1/sources/{fresh.ws.keys.source_id}", headers=bearer(fresh.ws.secret_key)
    )
    assert res.status_code == 200, res.text
    (key,) = [k for k in res.json()["write_keys"] if k["write_key"] == fresh.ws.write_key]
    return str(key["key_id"])


def _assert_write_key_refused(fresh: Api) -> None:
    before = fresh.count()
    for endpoint in ENDPOINTS:
        assert fresh.post(endpoint, _doc(endpoint)).status_code == 401
        res = fresh.post(endpoint, _doc(endpoint, writeKey=fresh.ws.write_key), auth=False)
        assert res.status_code == 401, res.text
    assert fresh.count() == before


def test_revoked_write_key_is_401_at_once(fresh: Api) -> None:
    assert fresh.post("track", message("track")).status_code == 200  # warms the key cache
    source = fresh.ws.keys.source_id
    res = fresh.client.delete(
        f"/v1/sources/{source}/write-keys/{_write_key_id(fresh)}",
        headers=bearer(fresh.ws.secret_key),
    )
    assert res.status_code == 200, res.text
    assert res.json()["revoked_at"] is not None
    _assert_write_key_refused(fresh)


def test_write_key_revoked_through_the_service_is_401(fresh: Api) -> None:
    assert fresh.post("batch", {"batch": [item("track")]}).status_code == 200
    access = fresh.client.app.state.ctx.access  # type: ignore[attr-defined]
    access.revoke_write_key(fresh.ws.keys.source_id, fresh.ws.write_key)
    _assert_write_key_refused(fresh)


def test_write_key_of_a_revoked_source_is_401(fresh: Api) -> None:
    assert fresh.post("track", message("track")).status_code == 200
    res = fresh.client.delete(
        f"/v1/sources/{fresh.ws.keys.source_id}", headers=bearer(fresh.ws.secret_key)
    )
    assert res.status_code == 200, res.text
    _assert_write_key_refused(fresh)


def test_rotated_write_key_works_and_the_old_one_stops(fresh: Api) -> None:
    source = fresh.ws.keys.source_id
    old_id = _write_key_id(fresh)
    res = fresh.client.post(f"/v1/sources/{source}/write-keys", headers=bearer(fresh.ws.secret_key))
    assert res.status_code == 201, res.text
    new_key = res.json()["write_key"]
    fresh.client.delete(
        f"/v1/sources/{source}/write-keys/{old_id}", headers=bearer(fresh.ws.secret_key)
    )
    _assert_write_key_refused(fresh)
    before = fresh.count()
    res = fresh.post("track", message("track"), headers=basic(new_key), auth=False)
    assert res.status_code == 200, res.text
    assert fresh.count() == before + 1


def test_error_bodies_never_echo_a_stack_trace(api: Api) -> None:
    res = api.post("track", body=b'{"userId": {"a": 1}, "event": 1}')
    assert res.status_code == 400
    assert not re.search(r"Traceback|File \"", res.text)
