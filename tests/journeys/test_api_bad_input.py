"""Malformed, oversized and hostile input on the journey and messaging routes (journeys,
channels, policy, message log, clock, dead letters, receipts, in-app inbox, ad audiences).

Every refused request must be a 4xx whose body names the field or node at fault, and must
leave the store exactly as it was (a digest of every journey and channel table is compared
before and after). The TestClient re-raises server exceptions, so a 500 fails the test at
once. One test per validation rule of issue 6 asserts the node or field it names.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import basic, bearer
from tests.profiles.traits_data import event, load
from unicx.api import create_app
from unicx.channels.base import ChannelContext, OutboundMessage, get_channel
from unicx.channels.inapp import InboxConfig
from unicx.channels.person_token import person_token, read_secret
from unicx.store import Store
from unicx.workspace import init_workspace

T0 = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
TABLES = (
    "journeys",
    "journey_versions",
    "journey_runs",
    "messaging_policy",
    "channel_configs",
    "messages",
    "message_events",
    "suppressions",
    "inbox",
    "audience_syncs",
    "audience_sync_members",
    "audience_sync_runs",
    "segments",
)
HOSTILE_REFS = (
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%27%3B%20DROP%20TABLE%20journeys%3B%20--",
    "a%00b",
    "%E2%80%AE%F0%9F%92%A5",
    "9" * 60,
)
BASE: dict[str, Any] = {
    "name": "Welcome",
    "entry": {"type": "event", "event": "Signed Up"},
    "start": "wait",
    "nodes": {
        "wait": {"type": "wait", "for": "1h", "next": "email"},
        "email": {
            "type": "message",
            "channel": "email",
            "content": {"subject": "Chào {{ traits.first_name }}", "html": "<p>Xin chào</p>"},
            "next": "done",
        },
        "done": {"type": "exit"},
    },
}


def definition(**changes: Any) -> dict[str, Any]:
    """A valid definition with top-level ``changes`` (a value of None removes the key)."""
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def with_node(node_id: str, node: dict[str, Any] | None, **changes: Any) -> dict[str, Any]:
    out = definition(**changes)
    if node is None:
        del out["nodes"][node_id]
    else:
        out["nodes"][node_id] = node
    return out


DIGEST_SQL = " UNION ALL ".join(
    f"SELECT '{t}', count(*), md5(coalesce(string_agg(CAST(x AS VARCHAR), '|' "
    f"ORDER BY CAST(x AS VARCHAR)), '')) FROM {t} x"
    for t in TABLES
)


def digest(store: Store) -> list[tuple[Any, ...]]:
    """Every row of the journey and channel tables: a count and a hash per table."""
    with store.session() as s:
        return s.fetchall(DIGEST_SQL, step="test.digest")


def issues(body: dict[str, Any]) -> list[str]:
    return [str(i["field"]) for i in body.get("issues", [])]


@dataclass
class Api:
    client: TestClient
    store: Store
    admin: dict[str, str]
    write_key: str
    journey_id: str
    profile: str
    inbox_message: str
    dead_message: str
    queued_message: str
    sms_message: str

    def refused(
        self,
        method: str,
        url: str,
        *,
        status: int | tuple[int, ...] = 400,
        field: str | None = None,
        mentions: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send a request that must be refused: ``status``, ``field`` among the issues (or
        ``mentions`` in the message), and no change in the store."""
        headers = {**self.admin, **kwargs.pop("headers", {})}
        before = digest(self.store)
        r = self.client.request(method, url, headers=headers, **kwargs)
        allowed = status if isinstance(status, tuple) else (status,)
        assert r.status_code in allowed, (method, url[:120], r.status_code, r.text[:800])
        body: dict[str, Any] = r.json()
        assert body["success"] is False, body
        if field is not None:
            assert field in issues(body), (field, body)
        if mentions is not None:
            assert mentions in body["message"], (mentions, body)
        assert digest(self.store) == before, f"{method} {url[:80]} changed the store"
        return body


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from unicx.config import load_settings

    path = tmp_path_factory.mktemp("bad") / "ws"
    settings = load_settings(workspace=path, clock_control=True, journeys_enabled=False)
    keys = init_workspace(settings)
    with TestClient(create_app(settings)) as c:
        store: Store = c.app.state.ctx.store  # type: ignore[attr-defined]
        admin = bearer(keys.secret_key)
        load(
            store,
            [event("identify", "2025-02-01 10:00", user_id="lan")],
            {"p-lan": [("user_id", "lan"), ("email", "lan@example.vn")], "p-minh": []},
        )
        r = c.post("/v1/journeys", headers=admin, json={"definition": BASE})
        assert r.status_code == 201, r.text
        journey_id = r.json()["journey_id"]
        r = c.post(
            "/v1/segments",
            headers=admin,
            json={"name": "Everyone", "definition": {"has": "email"}},
        )
        assert r.status_code == 201, r.text
        r = c.put("/v1/channels/sms", headers=admin, json={"config": {"receipt_token": "tok-123"}})
        assert r.status_code == 200, r.text
        web = get_channel("web")
        assert web is not None
        web(ChannelContext(store, settings)).send(
            OutboundMessage("m-web", "p-lan", "web", "p-lan", {"title": "Ưu đãi", "body": "20%"}),
            InboxConfig(),
        )
        with store.session() as s, s.transaction():
            for mid, channel, status in (
                ("m-dead", "webhook", "dead"),
                ("m-queued", "email", "queued"),
                ("m-sms", "sms", "sent"),
            ):
                s.execute(
                    "INSERT INTO messages (message_id, profile_id, channel, category, spec, "
                    "address, status, attempts, created_at, due_at, updated_at, provider_id) "
                    "VALUES (?, 'p-lan', ?, 'marketing', '{}', 'x', ?, 5, ?, ?, ?, ?)",
                    [mid, channel, status, T0, T0, T0, f"prov-{mid}"],
                    step="test.seed_message",
                )
        yield Api(
            c,
            store,
            admin,
            keys.write_key,
            journey_id,
            "p-lan",
            "m-web",
            "m-dead",
            "m-queued",
            "m-sms",
        )


# -- the validation rules of issue 6, each naming its node or field ---------------------------


def test_cycle_without_a_wait_names_the_loop(api: Api) -> None:
    loop = definition(start="a")
    loop["nodes"] = {
        "a": {"type": "set_trait", "trait": "stage", "value": "x", "next": "b"},
        "b": {"type": "list", "list": "vip", "action": "add", "next": "a"},
    }
    body = api.refused("POST", "/v1/journeys", json={"definition": loop}, field="nodes.a")
    issue = next(i for i in body["issues"] if i["rule"] == "cycle_without_wait")
    assert "a → b → a" in issue["message"]
    # The same loop through a wait is allowed.
    loop["nodes"]["b"] = {"type": "wait", "for": "1d", "next": "a"}
    r = api.client.post("/v1/journeys/validate", headers=api.admin, json={"definition": loop})
    assert r.status_code == 200, r.text


def test_unreachable_node_is_named(api: Api) -> None:
    orphan = {"type": "set_trait", "trait": "x", "value": 1, "next": "done"}
    body = api.refused(
        "POST",
        "/v1/journeys/validate",
        json={"definition": with_node("orphan", orphan)},
        field="nodes.orphan",
    )
    assert body["issues"][0]["rule"] == "unreachable"


def test_dangling_edge_names_node_and_field(api: Api) -> None:
    broken = with_node("wait", {"type": "wait", "for": "1h", "next": "emial"})
    body = api.refused("POST", "/v1/journeys", json={"definition": broken}, field="nodes.wait.next")
    assert "did you mean 'email'" in body["message"]
    api.refused(
        "POST", "/v1/journeys", json={"definition": definition(start="nowhere")}, field="start"
    )


def test_missing_template_part_is_named(api: Api) -> None:
    email = copy.deepcopy(BASE["nodes"]["email"])
    del email["content"]["subject"]
    body = api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", email)},
        field="nodes.email.content.subject",
    )
    assert body["issues"][0]["rule"] == "missing_template"
    email["content"] = {"subject": "   ", "html": "<p>x</p>"}
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", email)},
        field="nodes.email.content.subject",
    )
    offer = {**BASE["nodes"]["email"], "content": None, "offer": "no-such-offer"}
    del offer["content"]
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", offer)},
        field="nodes.email.offer",
    )
    broken = {**BASE["nodes"]["email"], "content": {"subject": "{{ oops", "html": "x"}}
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", broken)},
        field="nodes.email.content.subject",
    )


def test_unknown_channel_is_named(api: Api) -> None:
    pigeon = {**BASE["nodes"]["email"], "channel": "carrier_pigeon"}
    body = api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", pigeon)},
        field="nodes.email.channel",
    )
    assert "carrier_pigeon" in body["message"] and "email" in body["issues"][0]["message"]
    unknown_part = {
        **BASE["nodes"]["email"],
        "content": {**BASE["nodes"]["email"]["content"], "fax": "x"},
    }
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("email", unknown_part)},
        field="nodes.email.content.fax",
    )


@pytest.mark.parametrize("wait", ["0s", "0m", "0d", " 0w "])
def test_wait_of_zero_is_refused(api: Api, wait: str) -> None:
    body = api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("wait", {"type": "wait", "for": wait, "next": "email"})},
        field="nodes.wait.for",
    )
    assert "longer than zero" in body["message"]


@pytest.mark.parametrize("wait", ["3650d", "520w", "87600h", "9999999d", "366d"])
def test_wait_of_years_is_refused(api: Api, wait: str) -> None:
    body = api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("wait", {"type": "wait", "for": wait, "next": "email"})},
        field="nodes.wait.for",
    )
    assert "at most 365 days" in body["message"]


def test_event_wait_timeout_and_goal_of_years_are_refused(api: Api) -> None:
    wait = {
        "type": "wait",
        "event": {"event": "Email Opened"},
        "timeout": "3650d",
        "next": "email",
        "timeout_next": "done",
    }
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": with_node("wait", wait)},
        field="nodes.wait.timeout",
    )
    goal = {"event": "Order Completed", "within": "10000d"}
    api.refused(
        "POST", "/v1/journeys", json={"definition": definition(goal=goal)}, field="goal.within"
    )
    api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": definition(reentry={"policy": "cooldown", "cooldown": "0s"})},
        field="reentry.cooldown",
    )


@pytest.mark.parametrize(
    ("caps", "field"),
    [
        # A looser e-mail rule under a stricter one over a longer window can never apply.
        (
            [
                {"channel": "email", "max": 5, "per": "1d"},
                {"channel": "email", "max": 2, "per": "7d"},
            ],
            "policy.caps[0]",
        ),
        (
            [{"channel": "email", "max": 10, "per": "7d"}, {"channel": "*", "max": 5, "per": "7d"}],
            "policy.caps[0]",
        ),
        (
            [{"channel": "sms", "max": 1, "per": "1d"}, {"channel": "sms", "max": 3, "per": "1d"}],
            "policy.caps[1]",
        ),
        ([{"channel": "fax", "max": 1, "per": "1d"}], "policy.caps[0].channel"),
        ([{"channel": "email", "max": 1, "per": "0m"}], "policy.caps.0"),
        ([{"channel": "email", "max": 1, "per": "3650d"}], "policy.caps.0"),
        ([{"channel": "email", "max": -1, "per": "1d"}], "policy.caps.0.max"),
        ([{"channel": "email", "max": 10**30, "per": "1d"}], "policy.caps.0.max"),
    ],
)
def test_contradicting_or_broken_caps_are_refused(
    api: Api, caps: list[dict[str, Any]], field: str
) -> None:
    api.refused("PUT", "/v1/messaging/policy", json={"policy": {"caps": caps}}, field=field)
    policy = api.client.get("/v1/messaging/policy", headers=api.admin).json()
    assert [c["max"] for c in policy["caps"]] == [2, 1, 5]  # still the defaults


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "policy.timezone"),
        ({"timezone": "America"}, "policy.timezone"),  # a directory of the zone database
        ({"timezone": "../../../etc/passwd"}, "policy.timezone"),
        ({"timezone": "Asia/Ho_Chi_Minh\x00"}, "policy.timezone"),
        ({"timezone": "x" * 5000}, "policy.timezone"),
        ({"quiet_hours": {"start": "21:00", "end": "21:00"}}, "policy.quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "policy.quiet_hours.start"),
        ({"quiet_hours": {"channels": ["email", "telegraph"]}}, "policy.quiet_hours.channels"),
        ({"require_consent": "maybe"}, "policy.require_consent"),
        ({"caps": "none"}, "policy.caps"),
        ({"unknown": 1}, "policy.unknown"),
    ],
)
def test_broken_policy_is_refused_with_its_field(
    api: Api, policy: dict[str, Any], field: str
) -> None:
    api.refused("PUT", "/v1/messaging/policy", json={"policy": policy}, field=field)


def test_a_valid_policy_round_trips(api: Api) -> None:
    policy = {"caps": [{"channel": "email", "max": 3, "per": "7d"}], "timezone": "Europe/Paris"}
    r = api.client.put("/v1/messaging/policy", headers=api.admin, json={"policy": policy})
    assert r.status_code == 200, r.text
    try:
        got = api.client.get("/v1/messaging/policy", headers=api.admin).json()
        assert got["timezone"] == "Europe/Paris" and got["caps"][0]["max"] == 3
    finally:
        r = api.client.put("/v1/messaging/policy", headers=api.admin, json={"policy": {}})
        assert r.status_code == 200


# -- journeys: malformed, wrong types, missing fields, oversized, hostile ---------------------

BODY_ROUTES = (
    ("POST", "/v1/journeys"),
    ("POST", "/v1/journeys/validate"),
    ("POST", "/v1/journeys/simulate"),
    ("PUT", "/v1/journeys/Welcome"),
    ("POST", "/v1/journeys/Welcome/migrate"),
    ("PUT", "/v1/messaging/policy"),
    ("PUT", "/v1/channels/email"),
    ("POST", "/v1/clock"),
)
MALFORMED = (
    b"",
    b"{",
    b'{"definition": ',
    b"\xff\xfe\x00",
    b"NaN",
    b'{"seconds": 1e400}',
    b'{"a":' * 1100 + b"1" + b"}" * 1100,
    b"[" * 5000 + b"]" * 5000,
)


@pytest.mark.parametrize(("method", "url"), BODY_ROUTES)
@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_is_a_400(api: Api, method: str, url: str, raw: bytes) -> None:
    # The deep ones are over the small routes' size limit before they are parsed: 413.
    api.refused(
        method,
        url,
        content=raw,
        headers={"Content-Type": "application/json"},
        field="$",
        status=(400, 413) if len(raw) > 1024 else 400,
    )


@pytest.mark.parametrize(("method", "url"), BODY_ROUTES)
@pytest.mark.parametrize("doc", [None, [], "text", 7, True])
def test_a_body_that_is_not_an_object_is_a_400(api: Api, method: str, url: str, doc: Any) -> None:
    body = api.refused(method, url, content=json.dumps(doc).encode())
    assert issues(body), body


@pytest.mark.parametrize(("method", "url"), BODY_ROUTES)
def test_oversized_bodies_are_a_413(api: Api, method: str, url: str) -> None:
    big = {"definition": {**BASE, "description": "x" * (1024 * 1024 + 10)}}
    api.refused(method, url, json=big, status=413, field="$")
    # Gzip may not be used to slip a larger body past the limit.
    packed = gzip.compress(json.dumps(big).encode())
    api.refused(
        method,
        url,
        content=packed,
        status=413,
        field="$",
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "definition"),
        ({"definition": None}, "definition"),
        ({"definition": []}, "definition"),
        ({"definition": BASE, "extra": 1}, "extra"),
        ({"definition": definition(name=None)}, "name"),
        ({"definition": definition(start=None)}, "start"),
        ({"definition": definition(entry=None)}, "entry"),
        ({"definition": definition(nodes=None)}, "nodes"),
        ({"definition": definition(nodes={})}, "nodes"),
        ({"definition": definition(nodes=[])}, "nodes"),
        ({"definition": definition(name=12)}, "name"),
        ({"definition": definition(name="")}, "name"),
        ({"definition": definition(name="x" * 10_000)}, "name"),
        ({"definition": definition(name="Wel\x00come")}, "name"),
        ({"definition": definition(name="line\nbreak")}, "name"),
        ({"definition": definition(description="x" * 3000)}, "description"),
        ({"definition": definition(entry={"type": "telepathy"})}, "entry"),
        ({"definition": definition(entry={"type": "event"})}, "entry.event"),
        (
            {"definition": definition(entry={"type": "segment", "segment": "Nobody"})},
            "entry.segment",
        ),
        ({"definition": definition(holdout_percent=100)}, "holdout_percent"),
        ({"definition": definition(holdout_percent="half")}, "holdout_percent"),
        ({"definition": definition(reentry={"policy": "cooldown"})}, "reentry"),
        ({"definition": definition(exit_when=[{"event": "x"}] * 21)}, "exit_when"),
        ({"definition": definition(start="../../etc/passwd")}, "start"),
        ({"definition": definition(start="x" * 100)}, "start"),
        (
            {"definition": with_node("email", {**BASE["nodes"]["email"], "priority": 10**30})},
            "nodes.email.priority",
        ),
        (
            {"definition": with_node("email", {**BASE["nodes"]["email"], "priority": "high"})},
            "nodes.email.priority",
        ),
        (
            {"definition": with_node("email", {**BASE["nodes"]["email"], "category": "spam"})},
            "nodes.email.category",
        ),
        (
            {
                "definition": with_node(
                    "email",
                    {**BASE["nodes"]["email"], "content": {"subject": "x" * 25_000, "html": "y"}},
                )
            },
            "nodes.email",
        ),
        (
            {"definition": with_node("email", {**BASE["nodes"]["email"], "content": {"html": 5}})},
            "nodes.email.content.html",
        ),
        (
            {"definition": with_node("email", {**BASE["nodes"]["email"], "channel": ""})},
            "nodes.email.channel",
        ),
        (
            {"definition": with_node("wait", {"type": "wait", "for": "soon", "next": "email"})},
            "nodes.wait.for",
        ),
        (
            {"definition": with_node("wait", {"type": "wait", "for": 3600, "next": "email"})},
            "nodes.wait.for",
        ),
        (
            {"definition": with_node("wait", {"type": "wait", "for": "-1h", "next": "email"})},
            "nodes.wait.for",
        ),
        ({"definition": with_node("wait", {"type": "wait", "next": "email"})}, "nodes.wait"),
        ({"definition": with_node("wait", {"type": "teleport", "next": "email"})}, "nodes.wait"),
        (
            {
                "definition": with_node(
                    "wait", {"type": "wait", "until": {"at": "25:99"}, "next": "email"}
                )
            },
            "nodes.wait.until.at",
        ),
        (
            {
                "definition": with_node(
                    "r",
                    {
                        "type": "random",
                        "branches": [
                            {"percent": 1e308, "next": "done"},
                            {"percent": 1, "next": "done"},
                        ],
                    },
                )
            },
            "nodes.r.branches.0.percent",
        ),
        (
            {
                "definition": with_node(
                    "r",
                    {
                        "type": "random",
                        "branches": [
                            {"percent": 30, "next": "done"},
                            {"percent": 30, "next": "done"},
                        ],
                    },
                )
            },
            "nodes.r",
        ),
        (
            {
                "definition": with_node(
                    "h", {"type": "webhook", "url": "file:///etc/passwd", "next": "done"}
                )
            },
            "nodes.h.url",
        ),
        (
            {
                "definition": with_node(
                    "t", {"type": "set_trait", "trait": "a'; DROP", "value": 1, "next": "done"}
                )
            },
            "nodes.t.trait",
        ),
        ({"definition": with_node("../../x", {"type": "exit"})}, "nodes.../../x.[key]"),
    ],
)
def test_wrong_types_and_missing_fields_name_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    for url in ("/v1/journeys", "/v1/journeys/validate"):
        api.refused("POST", url, json=body, field=field)
    if "definition" in body and isinstance(body["definition"], dict):
        api.refused("PUT", f"/v1/journeys/{api.journey_id}", json=body, field=field)


def test_ten_thousand_nodes_are_refused_before_parsing(api: Api) -> None:
    nodes = {f"n{i}": {"type": "exit"} for i in range(10_000)}
    body = api.refused(
        "POST",
        "/v1/journeys",
        json={"definition": definition(nodes=nodes, start="n0")},
        field="nodes",
    )
    assert "at most 200 nodes" in body["message"]


def test_deeply_nested_condition_is_refused(api: Api) -> None:
    condition: dict[str, Any] = {"trait": "plan", "op": "eq", "value": "pro"}
    for _ in range(200):
        condition = {"all": [condition]}
    node = {"type": "condition", "condition": condition, "yes": "email", "no": "done"}
    body = api.refused("POST", "/v1/journeys", json={"definition": with_node("wait", node)})
    assert any(f.startswith("nodes.wait.condition") for f in issues(body)), body


def test_hostile_names_are_stored_as_text(api: Api) -> None:
    """SQL quotes and unicode in a name are data, not code: saved and found as written."""
    name = "Robert'); DROP TABLE journeys;-- ✓ Hủy đăng ký \u202e"
    r = api.client.post(
        "/v1/journeys", headers=api.admin, json={"definition": definition(name=name)}
    )
    assert r.status_code == 201, r.text
    got = api.client.get(f"/v1/journeys/{r.json()['journey_id']}", headers=api.admin).json()
    assert got["name"] == name
    names = [j["name"] for j in api.client.get("/v1/journeys", headers=api.admin).json()]
    assert name in names and "Welcome" in names
    # Same name again (any case) is a duplicate, named.
    api.refused(
        "POST", "/v1/journeys", json={"definition": definition(name=name.upper())}, field="name"
    )
    r = api.client.post(f"/v1/journeys/{r.json()['journey_id']}/archive", headers=api.admin)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("ref", HOSTILE_REFS)
def test_unknown_and_hostile_journey_refs_are_404(api: Api, ref: str) -> None:
    for method, suffix in (
        ("GET", ""),
        ("GET", "/stats"),
        ("POST", "/publish"),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/archive"),
    ):
        api.refused(method, f"/v1/journeys/{ref}{suffix}", status=404)
    api.refused("PUT", f"/v1/journeys/{ref}", json={"definition": BASE}, status=404)
    api.refused("POST", f"/v1/journeys/{ref}/migrate", json={"from_version": 1}, status=404)


def test_overlong_ref_names_the_parameter(api: Api) -> None:
    api.refused("GET", "/v1/journeys/" + "j" * 201, field="path.ref")
    api.refused("POST", "/v1/journeys/" + "j" * 201 + "/publish", field="path.ref")


def test_state_changes_that_do_not_apply_are_409(api: Api) -> None:
    jid = api.journey_id
    api.refused("POST", f"/v1/journeys/{jid}/pause", status=409, mentions="draft")
    api.refused("POST", f"/v1/journeys/{jid}/resume", status=409, mentions="draft")
    api.refused(
        "POST",
        f"/v1/journeys/{jid}/migrate",
        json={"from_version": 1},
        status=409,
        mentions="no published version",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "from_version"),
        ({"from_version": 0}, "from_version"),
        ({"from_version": "one"}, "from_version"),
        ({"from_version": 10**30}, "from_version"),
        ({"from_version": 1, "to_version": -5}, "to_version"),
        ({"from_version": 1, "sneaky": True}, "sneaky"),
    ],
)
def test_migrate_body_names_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    api.refused("POST", f"/v1/journeys/{api.journey_id}/migrate", json=body, field=field)


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "definition", 400),
        ({"definition": BASE, "journey": "Welcome"}, "definition", 400),
        ({"journey": "no such journey"}, None, 404),
        ({"definition": BASE, "audience": 0}, "audience", 400),
        ({"definition": BASE, "audience": 10**30}, "audience", 400),
        ({"definition": BASE, "days": 0}, "days", 400),
        ({"definition": BASE, "days": 10_000}, "days", 400),
        ({"definition": BASE, "event_rates": {"x": 2}}, "event_rates.x", 400),
        ({"definition": BASE, "event_rates": {"x": "often"}}, "event_rates.x", 400),
        (
            {"definition": BASE, "event_rates": {f"e{i}": 0.1 for i in range(51)}},
            "event_rates",
            400,
        ),
        ({"definition": BASE, "seed": 10**30}, "seed", 400),
        ({"definition": BASE, "condition_rate": -0.1}, "condition_rate", 400),
        ({"definition": BASE, "generated": True, "profiles": ["p1"]}, "profiles", 400),
        ({"definition": BASE, "profiles": [""]}, "profiles.0", 400),
        ({"definition": BASE, "profiles": ["p"] * 1001}, "profiles", 400),
        (
            {"definition": with_node("wait", {"type": "wait", "for": "0s", "next": "email"})},
            "nodes.wait.for",
            400,
        ),
        (
            {
                "definition": BASE,
                "generated": True,
                "audience": 100_000,
                "event_rates": {f"e{i}": 1.0 for i in range(50)},
            },
            "event_rates",
            400,
        ),
    ],
)
def test_simulate_refuses_bad_requests(
    api: Api, body: dict[str, Any], field: str | None, status: int
) -> None:
    api.refused("POST", "/v1/journeys/simulate", json=body, field=field, status=status)


def test_simulate_a_large_generated_audience_finishes(api: Api) -> None:
    """A scan of every person at every simulated instant made this take hours."""
    body = {
        "definition": BASE,
        "generated": True,
        "audience": 20_000,
        "days": 10,
        "event_rates": {"Signed Up": 0.5, "Order Completed": 0.5},
    }
    before = digest(api.store)
    r = api.client.post("/v1/journeys/simulate", headers=api.admin, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["exits"] == {"completed": 20_000}
    assert digest(api.store) == before  # a dry run writes nothing


# -- channels, policy, message log, clock -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "field"),
    [
        ("carrier_pigeon", 404, None),
        ("EMAIL", 400, "path.name"),
        ("e" * 41, 400, "path.name"),
        ("..%2F..%2Fetc", 404, None),
        ("email%00", 400, "path.name"),
        ("%27%20OR%201%3D1", 400, "path.name"),
    ],
)
def test_unknown_and_hostile_channel_names(
    api: Api, name: str, status: int, field: str | None
) -> None:
    api.refused("GET", f"/v1/channels/{name}", status=status, field=field)
    api.refused("PUT", f"/v1/channels/{name}", json={"config": {}}, status=status, field=field)


@pytest.mark.parametrize(
    ("channel", "config", "field"),
    [
        ("email", {"port": "twenty-five"}, "config.port"),
        ("email", {"port": 10**30}, "config.port"),
        ("email", {"port": 0}, "config.port"),
        ("email", {"host": "h" * 300}, "config.host"),
        (
            "email",
            {"from_address": "shop@example.vn\r\nBcc: all@example.vn"},
            "config.from_address",
        ),
        ("email", {"password": "mật khẩu"}, "config.password"),
        ("email", {"security": "ssl3"}, "config.security"),
        ("email", {"timeout_s": 1e308}, "config.timeout_s"),
        ("email", {"relay": "open"}, "config.relay"),
        ("sms", {"default_region": "../"}, "config.default_region"),
        ("sms", {"max_segments": -1}, "config.max_segments"),
        ("web", {"ttl_days": 0}, "config.ttl_days"),
        ("in_app", {"max_per_profile": 10**9}, "config.max_per_profile"),
    ],
)
def test_bad_channel_config_names_the_field(
    api: Api, channel: str, config: dict[str, Any], field: str
) -> None:
    api.refused("PUT", f"/v1/channels/{channel}", json={"config": config}, field=field)


def test_channel_config_body_shape(api: Api) -> None:
    api.refused("PUT", "/v1/channels/email", json={}, field="config")
    api.refused("PUT", "/v1/channels/email", json={"config": [1]}, field="config")
    api.refused("PUT", "/v1/channels/email", json={"config": {}, "x": 1}, field="x")
    api.refused("PUT", "/v1/channels/email", json={"config": {"h": "x" * 70_000}}, status=413)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 10**30}, "query.limit"),
        ({"limit": "all"}, "query.limit"),
        ({"profile_id": "p" * 201}, "query.profile_id"),
        ({"journey": "j" * 201}, "query.journey"),
        ({"channel": "c" * 41}, "query.channel"),
        ({"status": "s" * 41}, "query.status"),
    ],
)
def test_message_log_query_names_the_parameter(
    api: Api, params: dict[str, Any], field: str
) -> None:
    api.refused("GET", "/v1/messages", params=params, field=field)


@pytest.mark.parametrize(
    "params",
    [
        {"profile_id": "p-lan\x00"},
        {"journey": "'; DROP TABLE messages; --"},
        {"channel": "email' OR '1'='1"},
        {"status": "%"},
        {"journey": "Hủy ✓ \u202e"},
    ],
)
def test_hostile_message_log_filters_match_nothing(api: Api, params: dict[str, str]) -> None:
    r = api.client.get("/v1/messages", headers=api.admin, params=params)
    assert r.status_code == 200, r.text
    assert r.json() == []
    assert len(api.client.get("/v1/messages", headers=api.admin).json()) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "seconds"),
        ({"seconds": 0}, "seconds"),
        ({"seconds": -3600}, "seconds"),
        ({"seconds": 10**30}, "seconds"),
        ({"seconds": "1h"}, "seconds"),
        ({"seconds": 60, "days": 1}, "days"),
    ],
)
def test_clock_moves_are_checked(api: Api, body: dict[str, Any], field: str) -> None:
    before = api.client.get("/v1/clock", headers=api.admin).json()
    api.refused("POST", "/v1/clock", json=body, field=field)
    assert api.client.get("/v1/clock", headers=api.admin).json()["offset_s"] == before["offset_s"]


def test_no_key_and_a_write_key_are_refused(api: Api) -> None:
    for method, url in (
        ("GET", "/v1/journeys"),
        ("PUT", "/v1/messaging/policy"),
        ("GET", "/v1/messages"),
        ("POST", "/v1/messages/m-dead/replay"),
    ):
        api.refused(method, url, status=401, json={}, headers={"Authorization": ""})
        api.refused(method, url, status=401, json={}, headers=basic(api.write_key))
        api.refused(method, url, status=401, json={}, headers=bearer("sk_forged'--"))


# -- dead letters ---------------------------------------------------------------------------


def test_dead_letter_list_parameters(api: Api) -> None:
    api.refused("GET", "/v1/messages/dead", params={"channel": "Web Hook"}, field="query.channel")
    api.refused("GET", "/v1/messages/dead", params={"channel": "x" * 41}, field="query.channel")
    api.refused("GET", "/v1/messages/dead", params={"limit": 0}, field="query.limit")
    api.refused("GET", "/v1/messages/dead", params={"limit": 10**30}, field="query.limit")
    r = api.client.get("/v1/messages/dead", headers=api.admin, params={"channel": "sms"})
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("ref", [*HOSTILE_REFS, "m-dead%27%20OR%20%271%27%3D%271"])
def test_replay_of_unknown_or_hostile_ids_is_404(api: Api, ref: str) -> None:
    api.refused("POST", f"/v1/messages/{ref}/replay", status=404)


def test_replay_refuses_live_messages_and_long_ids(api: Api) -> None:
    api.refused("POST", f"/v1/messages/{api.queued_message}/replay", status=409, mentions="queued")
    api.refused("POST", f"/v1/messages/{api.sms_message}/replay", status=409, mentions="sent")
    api.refused("POST", "/v1/messages/" + "m" * 201 + "/replay", field="path.message_id")


# -- delivery receipts ----------------------------------------------------------------------

RECEIPT_URL = "/v1/channels/sms/receipts?token=tok-123"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/channels/sms/receipts", 401),
        ("/v1/channels/sms/receipts?token=wrong", 401),
        ("/v1/channels/sms/receipts?token=tok-123%00", 401),
        ("/v1/channels/sms/receipts?token=" + "t" * 201, 400),
        ("/v1/channels/email/receipts?token=tok-123", 404),
        ("/v1/channels/carrier_pigeon/receipts?token=tok-123", 404),
        ("/v1/channels/..%2F..%2Fetc/receipts?token=tok-123", 404),
        ("/v1/channels/SMS/receipts?token=tok-123", 400),
    ],
)
def test_receipts_need_the_channel_token(api: Api, url: str, status: int) -> None:
    api.refused(
        "POST", url, json={"provider_id": "prov-m-sms", "status": "delivered"}, status=status
    )


@pytest.mark.parametrize(
    ("raw", "field", "status"),
    [
        (b"", "$", 400),
        (b"{", "$", 400),
        (b"null", "$", 400),
        (b'"delivered"', "$", 400),
        (b'{"status": "delivered"}', "[0]", 400),
        (b'{"provider_id": "prov-m-sms", "status": "exploded"}', "[0].status", 400),
        (b'{"provider_id": ["x"], "status": "delivered"}', "[0].provider_id", 400),
        (b'{"provider_id": "p", "status": "delivered", "at": "yesterday"}', "[0].at", 400),
        (
            b'{"provider_id": "p", "status": "failed", "permanent": "yes please"}',
            "[0].permanent",
            400,
        ),
        (json.dumps([{"provider_id": "p", "status": "read"}] * 1001).encode(), "$", 413),
        (b'[{"provider_id": "' + b"x" * (1024 * 1024) + b'", "status": "read"}]', "$", 413),
    ],
)
def test_bad_receipts_name_the_field(api: Api, raw: bytes, field: str, status: int) -> None:
    api.refused(
        "POST",
        RECEIPT_URL,
        content=raw,
        field=field,
        status=status,
        headers={"Content-Type": "application/json"},
    )


def test_hostile_receipts_change_nothing(api: Api) -> None:
    """Unknown, quoted, NUL and numeric ids are listed as unknown; a date far away in either
    direction is clamped or refused, never a 500."""
    batch = [
        {"provider_id": "prov-m-sms' OR '1'='1", "status": "bounced"},
        {"message_id": "m-dead\x00", "status": "delivered"},
        {"provider_id": 2**63, "status": "delivered"},
        {"message_id": "m-web", "status": "delivered"},  # another channel's message
    ]
    before = digest(api.store)
    r = api.client.post(RECEIPT_URL, json=batch)
    assert r.status_code == 200, r.text
    assert r.json()["unknown"] == [0, 1, 2, 3]
    assert digest(api.store) == before
    # Past 2**64 JSON numbers become floats: not an id.
    api.refused(
        "POST",
        RECEIPT_URL,
        json=[{"provider_id": 10**30, "status": "read"}],
        field="[0].provider_id",
    )
    for at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1e400"):
        raw = json.dumps({"provider_id": "nope", "status": "read", "at": at})
        r = api.client.post(RECEIPT_URL, content=raw)
        assert r.status_code in (200, 400), r.text
    assert digest(api.store) == before


# -- in-app / web inbox -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"channel": "sms"}, "query.channel"),
        ({"channel": "web'--"}, "query.channel"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 10**30}, "query.limit"),
        ({"include_seen": "perhaps"}, "query.include_seen"),
    ],
)
def test_inbox_query_names_the_parameter(api: Api, params: dict[str, Any], field: str) -> None:
    api.refused("GET", f"/v1/profiles/{api.profile}/messages", params=params, field=field)


@pytest.mark.parametrize("ref", HOSTILE_REFS)
def test_inbox_of_unknown_or_hostile_profiles_is_404(api: Api, ref: str) -> None:
    api.refused("GET", f"/v1/profiles/{ref}/messages", status=404)
    api.refused("POST", f"/v1/profiles/{ref}/messages/{api.inbox_message}/seen", status=404)
    api.refused("POST", f"/v1/profiles/{api.profile}/messages/{ref}/seen", status=404)


def test_inbox_marks_are_checked(api: Api) -> None:
    mid, pid = api.inbox_message, api.profile
    api.refused("POST", f"/v1/profiles/{pid}/messages/{mid}/deleted", field="path.action")
    api.refused("POST", f"/v1/profiles/{pid}/messages/{mid}/SEEN", field="path.action")
    api.refused("POST", f"/v1/profiles/{'p' * 65}/messages/{mid}/seen", field="path.profile_id")
    api.refused("POST", f"/v1/profiles/{pid}/messages/{'m' * 201}/seen", field="path.message_id")
    # Another person's message, and a message that is not in the inbox at all.
    api.refused("POST", f"/v1/profiles/p-minh/messages/{mid}/clicked", status=404)
    api.refused("POST", f"/v1/profiles/{pid}/messages/{api.dead_message}/seen", status=404)


def test_inbox_credentials(api: Api) -> None:
    url = f"/v1/profiles/{api.profile}/messages"
    api.refused("GET", url, status=401, headers={"Authorization": ""})
    api.refused("GET", url, status=401, headers=basic("wk_not_a_key"))
    api.refused("GET", url, status=401, headers={"Authorization": "Basic %%%"})
    # The write key alone is not enough any more: the page also sends the person's token.
    api.refused("GET", url, status=401, headers=basic(api.write_key))
    token = person_token(bytes.fromhex(read_secret(api.store)), "lan")
    person = {"X-Unicx-User-Id": "lan", "X-Unicx-User-Token": token}
    r = api.client.get(url, headers=basic(api.write_key) | person)
    assert r.status_code == 200, r.text
    assert [m["message_id"] for m in r.json()["messages"]] == [api.inbox_message]


# -- ad audiences ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "name", 400),
        ({"name": "A", "segment": "Everyone"}, "destination", 400),
        ({"name": "A", "segment": "Everyone", "destination": "myspace"}, "destination", 400),
        ({"name": "A", "segment": "Nobody", "destination": "meta_custom_audience"}, "segment", 400),
        (
            {"name": "\x00\x01", "segment": "Everyone", "destination": "meta_custom_audience"},
            "name",
            400,
        ),
        (
            {"name": "../../..", "segment": "Everyone", "destination": "meta_custom_audience"},
            "name",
            400,
        ),
        (
            {"name": "x" * 101, "segment": "Everyone", "destination": "meta_custom_audience"},
            "name",
            400,
        ),
        ({"name": 5, "segment": "Everyone", "destination": "meta_custom_audience"}, "name", 400),
        (
            {
                "name": "A",
                "segment": "Everyone",
                "destination": "meta_custom_audience",
                "config": {"identifiers": ["ssn"]},
            },
            "config.identifiers.0",
            400,
        ),
        (
            {
                "name": "A",
                "segment": "Everyone",
                "destination": "meta_custom_audience",
                "config": {"identifiers": []},
            },
            "config.identifiers",
            400,
        ),
        (
            {
                "name": "A",
                "segment": "Everyone",
                "destination": "meta_custom_audience",
                "config": "email",
            },
            "config",
            400,
        ),
        (
            {"name": "A", "segment": "Everyone", "destination": "meta_custom_audience", "extra": 1},
            "extra",
            400,
        ),
    ],
)
def test_audience_create_names_the_field(
    api: Api, body: dict[str, Any], field: str, status: int
) -> None:
    body = api.refused("POST", "/v1/audiences", json=body, status=status)
    assert any(f.endswith(field) for f in issues(body)), body


def test_audience_create_malformed_and_oversized(api: Api) -> None:
    for raw in (b"{", b"[]", b"null"):
        body = api.refused(
            "POST", "/v1/audiences", content=raw, headers={"Content-Type": "application/json"}
        )
        assert issues(body) and issues(body)[0].startswith("body"), (raw, body)
    # Not UTF-8: FastAPI's own 400, which has no field to name.
    for raw in (b"\xff", b"\xff\xfe"):
        api.refused(
            "POST", "/v1/audiences", content=raw, headers={"Content-Type": "application/json"}
        )
    huge = {"name": "A", "segment": "s" * 2_000_000, "destination": "meta_custom_audience"}
    # Over max_body_bytes (1 MiB): refused before the model is read.
    body = api.refused("POST", "/v1/audiences", json=huge, status=413)
    assert body["issues"][0]["rule"] == "max_body_bytes"


def test_audience_names_never_leave_the_audiences_folder(api: Api, tmp_path: Path) -> None:
    r = api.client.post(
        "/v1/audiences",
        headers=api.admin,
        json={
            "name": "../../../tmp/evil",
            "segment": "Everyone",
            "destination": "meta_custom_audience",
        },
    )
    assert r.status_code == 201, r.text
    assert "/" not in r.json()["slug"] and ".." not in r.json()["slug"]
    run = api.client.post(f"/v1/audiences/{r.json()['sync_id']}/sync", headers=api.admin)
    assert run.status_code == 200, run.text
    for name in run.json()["files"]:
        assert name.startswith("audiences/") and ".." not in name


@pytest.mark.parametrize("ref", HOSTILE_REFS)
def test_unknown_and_hostile_audience_refs_are_404(api: Api, ref: str) -> None:
    api.refused("POST", f"/v1/audiences/{ref}/sync", status=404)
    api.refused("GET", f"/v1/audiences/{ref}/runs", status=404)


def test_audience_run_parameters(api: Api) -> None:
    api.refused("POST", "/v1/audiences/x/sync", params={"mode": "everything"}, field="query.mode")
    api.refused("GET", "/v1/audiences/x/runs", params={"limit": 0}, field="query.limit")
    api.refused("GET", "/v1/audiences/" + "a" * 201 + "/runs", field="path.sync")
