"""decode_single / decode_batch: the rules one by one, then hypothesis over hostile input.

The property: whatever the bytes, the validator returns rows or raises ValidationError (never
anything else); every row has a message id, a UTC timestamp inside the documented bounds, and
JSON columns that DuckDB stores and the events API reads back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicx.assembly import migrate_workspace
from unicx.config import load_settings
from unicx.errors import PayloadTooLargeError, ValidationError
from unicx.ingest.models import EVENT_TYPES, Limits, RequestInfo
from unicx.ingest.query import EventQuery
from unicx.ingest.schema import COLUMN_NAMES, EventRow, rows_to_arrow
from unicx.ingest.validate import decode_batch, decode_single
from unicx.ingest.writer import INSERT_SQL
from unicx.store import Store

RECEIVED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SINGLE = ("track", "identify", "page", "screen", "group", "alias")
JSON_COLUMNS = ("traits", "properties", "context", "integrations")


@pytest.fixture(scope="module")
def limits(tmp_path_factory: pytest.TempPathFactory) -> Limits:
    return Limits.from_settings(load_settings(workspace=tmp_path_factory.mktemp("limits")))


def info(source: str = "src_test", received: datetime = RECEIVED) -> RequestInfo:
    return RequestInfo(source_id=source, received_at=received, peer_ip="203.0.113.9")


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def as_dict(row: EventRow) -> dict[str, Any]:
    assert len(row) == len(COLUMN_NAMES)
    return dict(zip(COLUMN_NAMES, row, strict=True))


def single(doc: Any, limits: Limits, type_: str = "track", **kw: Any) -> dict[str, Any]:
    row, _ = decode_single(body(doc), type_=type_, info=info(**kw), limits=limits)
    return as_dict(row)


def rules(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str, str]]:
    return {(i.field, i.rule) for i in exc.value.issues}


# -- unit cases -----------------------------------------------------------------------------


def test_track_becomes_an_enriched_row(limits: Limits) -> None:
    doc = {
        "userId": "u-lan",
        "event": "Order Completed",
        "messageId": "m-1",
        "properties": {"total": 250000, "currency": "VND", "url": "https://shop.vn/cart"},
        "context": {
            "ip": "198.51.100.7",
            "locale": "vi-VN",
            "timezone": "Asia/Ho_Chi_Minh",
            "campaign": {"source": "zalo", "medium": "social", "name": "tet"},
            "library": {"name": "analytics.js", "version": "5.0"},
            "location": {"country": "VN", "city": "Hà Nội"},
        },
        "writeKey": "wk_in_body",
    }
    row, write_key = decode_single(body(doc), type_="track", info=info(), limits=limits)
    got = as_dict(row)
    assert write_key == "wk_in_body"
    assert (got["source_id"], got["message_id"], got["type"], got["event"]) == (
        "src_test",
        "m-1",
        "track",
        "Order Completed",
    )
    assert got["user_id"] == "u-lan" and got["anonymous_id"] is None
    assert got["timestamp"] == RECEIVED == got["received_at"]
    assert json.loads(got["properties"]) == doc["properties"]
    assert json.loads(got["context"]) == doc["context"]
    assert (got["ip"], got["locale"], got["timezone"]) == (
        "198.51.100.7",
        "vi-VN",
        "Asia/Ho_Chi_Minh",
    )
    assert (got["local_hour"], got["local_weekday"]) == (19, 7)  # 12:00 UTC Sunday = 19:00 ICT
    assert (got["utm_source"], got["utm_medium"], got["utm_campaign"]) == ("zalo", "social", "tet")
    assert (got["country"], got["city"]) == ("VN", "Hà Nội")
    assert got["page_url"] == "https://shop.vn/cart"
    assert (got["library_name"], got["library_version"]) == ("analytics.js", "5.0")


def test_peer_ip_is_used_without_context_ip(limits: Limits) -> None:
    assert single({"userId": "u", "event": "E"}, limits)["ip"] == "203.0.113.9"


def test_endpoint_decides_the_type(limits: Limits) -> None:
    got = single({"type": "identify", "userId": "u", "event": "E"}, limits, type_="track")
    assert got["type"] == "track"


def test_integer_ids_become_strings_and_ids_are_trimmed(limits: Limits) -> None:
    got = single({"userId": 42, "anonymousId": "  a-1  ", "groupId": -7, "event": "E"}, limits)
    assert (got["user_id"], got["anonymous_id"], got["group_id"]) == ("42", "a-1", "-7")


def test_ids_of_the_maximum_length_are_kept(limits: Limits) -> None:
    assert single({"userId": "u" * 1024, "event": "E"}, limits)["user_id"] == "u" * 1024
    with pytest.raises(ValidationError) as exc:
        single({"userId": "u" * 1025, "event": "E"}, limits)
    assert rules(exc) == {("userId", "max_length")}


def test_message_id_is_kept_or_made(limits: Limits) -> None:
    timed = {"userId": "u", "event": "E", "timestamp": "2025-05-31T10:00:00Z"}
    # A retried request (same bytes, same source) keeps its id, so the store dedupes it.
    first, again = single(timed, limits), single(timed, limits)
    assert first["message_id"] == again["message_id"]
    assert first["message_id"].startswith("auto-")
    assert single(timed, limits, source="src_other")["message_id"] != first["message_id"]
    # Without a timestamp the same bytes may be two real events: no content id.
    untimed = {"userId": "u", "event": "E"}
    assert single(untimed, limits)["message_id"] != single(untimed, limits)["message_id"]
    assert single({**untimed, "messageId": 7}, limits)["message_id"] == "7"


def test_all_errors_of_an_event_are_reported_together(limits: Limits) -> None:
    doc = {"event": " ", "userId": "", "timestamp": "tomorrow", "sentAt": "later"}
    with pytest.raises(ValidationError) as exc:
        single(doc, limits)
    assert rules(exc) == {
        ("userId", "user_or_anonymous_id"),
        ("event", "required"),
        ("timestamp", "iso8601"),
        ("sentAt", "iso8601"),
    }
    assert exc.value.details == [i.as_dict() for i in exc.value.issues]


@pytest.mark.parametrize(
    ("type_", "doc", "expected"),
    [
        ("track", {"anonymousId": "a"}, {("event", "required")}),
        ("group", {"userId": "u"}, {("groupId", "required")}),
        ("alias", {}, {("userId", "required"), ("previousId", "required")}),
        ("alias", {"anonymousId": "a", "previousId": "p"}, {("userId", "required")}),
        ("identify", {"traits": {"email": "x@y.vn"}}, {("userId", "user_or_anonymous_id")}),
        ("page", {"userId": "u", "name": "n" * 513}, {("name", "max_length")}),
    ],
)
def test_spec_rules(
    type_: str, doc: dict[str, Any], expected: set[tuple[str, str]], limits: Limits
) -> None:
    with pytest.raises(ValidationError) as exc:
        single(doc, limits, type_=type_)
    assert rules(exc) == expected


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2025-05-31T10:00:00Z", datetime(2025, 5, 31, 10, tzinfo=UTC)),
        ("2025-05-31T17:00:00+07:00", datetime(2025, 5, 31, 10, tzinfo=UTC)),
        ("2025-05-31T10:00:00", datetime(2025, 5, 31, 10, tzinfo=UTC)),
        ("2025-05-31T10:00:00.123456-03:30", datetime(2025, 5, 31, 13, 30, 0, 123456, tzinfo=UTC)),
        ("2025-05-31", datetime(2025, 5, 31, tzinfo=UTC)),
    ],
)
def test_timestamps_are_stored_in_utc(given: str, stored: datetime, limits: Limits) -> None:
    got = single({"userId": "u", "event": "E", "timestamp": given}, limits)
    assert got["timestamp"] == stored == got["original_timestamp"]
    assert got["timestamp"].utcoffset() == timedelta(0)


def test_original_timestamp_is_used_when_timestamp_is_absent(limits: Limits) -> None:
    got = single({"userId": "u", "event": "E", "originalTimestamp": "2025-05-31T10:00:00Z"}, limits)
    assert got["timestamp"] == datetime(2025, 5, 31, 10, tzinfo=UTC)


def test_sent_at_corrects_clock_skew(limits: Limits) -> None:
    # The device clock is 1 h behind; the event happened 5 min before it was sent.
    device_now = RECEIVED - timedelta(hours=1)
    doc = {
        "userId": "u",
        "event": "E",
        "timestamp": (device_now - timedelta(minutes=5)).isoformat(),
        "sentAt": device_now.isoformat(),
    }
    got = single(doc, limits)
    assert got["timestamp"] == RECEIVED - timedelta(minutes=5)
    assert got["original_timestamp"] == device_now - timedelta(minutes=5)
    assert got["sent_at"] == device_now


def test_skew_correction_applies_before_the_future_check(limits: Limits) -> None:
    device_now = RECEIVED + timedelta(days=30)
    doc = {
        "userId": "u",
        "event": "E",
        "timestamp": device_now.isoformat(),
        "sentAt": device_now.isoformat(),
    }
    assert single(doc, limits)["timestamp"] == RECEIVED


@pytest.mark.parametrize(
    ("fields", "ok", "rule"),
    [
        ({"timestamp": (RECEIVED + timedelta(hours=24)).isoformat()}, True, None),
        (
            {"timestamp": (RECEIVED + timedelta(hours=24, microseconds=1)).isoformat()},
            False,
            "not_future",
        ),
        ({"timestamp": "2000-01-01T00:00:00Z"}, True, None),
        ({"timestamp": "1999-12-31T23:59:59.999999Z"}, False, "min_timestamp"),
        ({"timestamp": "1970-01-01T00:00:00Z"}, False, "min_timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+00:01"}, False, "range"),
        ({"timestamp": "9999-12-31T23:59:59-00:01"}, False, "range"),
        (
            {"timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"},
            False,
            "min_timestamp",
        ),
        (
            {"timestamp": "9999-12-31T00:00:00Z", "sentAt": "0001-01-01T00:00:00Z"},
            False,
            "not_future",
        ),
    ],
)
def test_timestamp_bounds(
    fields: dict[str, str], ok: bool, rule: str | None, limits: Limits
) -> None:
    doc = {"userId": "u", "event": "E", **fields}
    if ok:
        single(doc, limits)
        return
    with pytest.raises(ValidationError) as exc:
        single(doc, limits)
    assert rules(exc) == {("timestamp", rule)}


def _deep(depth: int) -> Any:
    value: Any = {}
    for i in range(depth - 1):
        value = {"a": value} if i % 2 else [value]
    return value


@pytest.mark.parametrize("field", JSON_COLUMNS)
def test_depth_limit_counts_the_event_object(field: str, limits: Limits) -> None:
    # The event object is level 1, so its fields may hold 31 more levels (32 in all).
    single({"userId": "u", "event": "E", field: {"x": _deep(30)}}, limits)
    with pytest.raises(ValidationError) as exc:
        single({"userId": "u", "event": "E", field: {"x": _deep(31)}}, limits)
    assert rules(exc) == {(field, "max_depth")}


def test_brackets_inside_strings_are_not_nesting(limits: Limits) -> None:
    got = single({"userId": "u", "event": "E", "properties": {"s": "[{" * 500}}, limits)
    assert json.loads(got["properties"]) == {"s": "[{" * 500}


def test_parser_breaking_nesting_is_a_validation_error(limits: Limits) -> None:
    raw = b'{"userId":"u","event":"E","properties":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}}"
    with pytest.raises(ValidationError) as exc:
        decode_single(raw, type_="track", info=info(), limits=limits)
    assert rules(exc) == {("$", "max_depth")}


def test_limits_come_from_settings(tmp_path: Path) -> None:
    tight = Limits.from_settings(
        load_settings(
            workspace=tmp_path,
            max_depth=4,
            max_id_length=16,
            max_event_bytes=1024,
            max_future_seconds=60,
            min_timestamp=datetime(2020, 1, 1, tzinfo=UTC),
        )
    )
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"userId": "u" * 17}, ("userId", "max_length")),
        ({"userId": "u", "properties": {"a": {"b": {"c": {}}}}}, ("properties", "max_depth")),
        (
            {"userId": "u", "timestamp": (RECEIVED + timedelta(minutes=2)).isoformat()},
            ("timestamp", "not_future"),
        ),
        ({"userId": "u", "timestamp": "2019-12-31T00:00:00Z"}, ("timestamp", "min_timestamp")),
    ]
    for doc, rule in cases:
        with pytest.raises(ValidationError) as exc:
            single({"event": "E", **doc}, tight)
        assert rules(exc) == {rule}
    with pytest.raises(PayloadTooLargeError) as too_big:
        single({"userId": "u", "event": "E", "properties": {"p": "x" * 1024}}, tight)
    assert {(i.field, i.rule) for i in too_big.value.issues} == {("$", "max_event_bytes")}


def test_batch_defaults_apply_to_items_that_lack_their_own(limits: Limits) -> None:
    doc = {
        "batch": [
            {"type": "track", "userId": "u", "event": "A", "timestamp": "2025-06-01T10:00:00Z"},
            {
                "type": "track",
                "userId": "u",
                "event": "B",
                "timestamp": "2025-06-01T10:00:00Z",
                "sentAt": "2025-06-01T10:00:00Z",
                "context": {"locale": "en-US"},
                "integrations": {"All": False},
            },
        ],
        "context": {"locale": "vi-VN", "library": {"name": "analytics-python"}},
        "integrations": {"All": True},
        "sentAt": "2025-06-01T10:30:00Z",
        "writeKey": "wk_batch",
    }
    decoded = decode_batch(body(doc), info=info(), limits=limits)
    assert decoded.issues == [] and decoded.write_key == "wk_batch"
    a, b = (as_dict(r) for r in decoded.rows)
    assert a["sent_at"] == datetime(2025, 6, 1, 10, 30, tzinfo=UTC)
    assert a["timestamp"] == RECEIVED - timedelta(minutes=30)
    assert (a["locale"], a["library_name"]) == ("vi-VN", "analytics-python")
    assert json.loads(a["integrations"]) == {"All": True}
    assert b["timestamp"] == RECEIVED
    assert (b["locale"], b["library_name"]) == ("en-US", "analytics-python")
    assert json.loads(b["integrations"]) == {"All": False}


def test_batch_reports_each_bad_item_by_index(limits: Limits) -> None:
    items: list[Any] = [
        {"type": "track", "userId": "u", "event": "ok"},
        {"type": "track", "userId": "u"},
        "not an object",
        {"type": "identify", "userId": {"id": 1}},
        {"type": "merge", "userId": "u"},
        {"type": "alias", "userId": "u", "previousId": "p"},
        {"type": "track", "userId": "u", "event": "big", "properties": {"p": "x" * 33_000}},
    ]
    decoded = decode_batch(body({"batch": items}), info=info(), limits=limits)
    assert [as_dict(r)["type"] for r in decoded.rows] == ["track", "alias"]
    assert {(i.index, i.field, i.rule) for i in decoded.issues} == {
        (1, "batch[1].event", "required"),
        (2, "batch[2]", "object"),
        (3, "batch[3].userId", "type"),
        (4, "batch[4].type", "enum"),
        (6, "batch[6]", "max_event_bytes"),
    }


def test_batch_limits(limits: Limits) -> None:
    with pytest.raises(PayloadTooLargeError) as exc:
        decode_batch(b" " * (500 * 1024 + 1), info=info(), limits=limits)
    assert [(i.field, i.rule) for i in exc.value.issues] == [("$", "max_batch_bytes")]
    with pytest.raises(ValidationError) as bad:
        decode_batch(body({"batch": [], "context": _deep(32)}), info=info(), limits=limits)
    assert rules(bad) == {("context", "type")}  # a list is not an object
    with pytest.raises(ValidationError) as deep:
        decode_batch(body({"batch": [], "context": {"x": _deep(31)}}), info=info(), limits=limits)
    assert rules(deep) == {("context", "max_depth")}
    assert decode_batch(body({"batch": []}), info=info(), limits=limits).rows == []


def test_invalid_utf8_in_one_batch_item_rejects_the_batch(limits: Limits) -> None:
    good, bad = b'{"type":"track","userId":"u","event":"E"}', b'{"type":"track","userId":"\xc0"}'
    raw = b'{"batch":[' + good + b"," + bad + b"]}"
    with pytest.raises(ValidationError) as exc:
        decode_batch(raw, info=info(), limits=limits)
    assert rules(exc) == {("batch[1]", "utf8")}


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b'{"userId":"u\xff","event":"E"}', "utf8"),
        (b'{"userId":"\\ud800","event":"E"}', "json"),
        (b'{"userId":"u","event":"E",}', "json"),
        (b"", "json"),
        (b"[]", "object"),
    ],
)
def test_undecodable_bodies(raw: bytes, rule: str, limits: Limits) -> None:
    with pytest.raises(ValidationError) as exc:
        decode_single(raw, type_="track", info=info(), limits=limits)
    assert rules(exc) == {("$", rule)}


# -- hypothesis -----------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)  # surrogates included
KEYS = st.one_of(st.sampled_from(["", "a", "url", "path", "userAgent", "timezone", "$"]), ANY_TEXT)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # NaN and infinities are not JSON: the encoder's output must be refused
    ANY_TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=4),
    max_leaves=25,
)


@st.composite
def nested_json(draw: st.DrawFn) -> Any:
    """Any JSON, sometimes wrapped to a depth around the limit."""
    value = draw(JSON)
    for i in range(draw(st.sampled_from([0, 0, 0, 29, 30, 31, 32, 40]))):
        value = [value] if i % 3 == 0 else {"k": value}
    return value


NEAR_NOW = st.datetimes(
    min_value=datetime(2025, 5, 28),
    max_value=datetime(2025, 6, 2),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-5))]),
)
ANY_TIME = st.datetimes(
    timezones=st.none()
    | st.builds(
        timezone,
        st.timedeltas(
            min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
        ),
    )
)
TIMESTAMPS = st.one_of(
    NEAR_NOW.map(datetime.isoformat),
    ANY_TIME.map(datetime.isoformat),
    st.sampled_from(
        [
            "",
            "now",
            "2025-06-01",
            "2025-06-01T12:00:00Z",
            "1970-01-01T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "9999-12-31T23:59:59.999999-23:59",
        ]
    ),
    JSON,
)
IDS = st.one_of(ANY_TEXT, st.integers(), st.just("x" * 1025), JSON)
CONTEXTS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "userAgent": st.one_of(ANY_TEXT, st.just("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")),
            "timezone": st.one_of(
                st.sampled_from(
                    ["Asia/Ho_Chi_Minh", "UTC", "Nope/Zone", "../../etc/passwd", "", "a\x00b"]
                ),
                ANY_TEXT,
            ),
            "campaign": JSON,
            "page": JSON,
            "library": JSON,
            "location": JSON,
            "ip": JSON,
            "traits": JSON,
        },
    ),
    nested_json(),
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.one_of(st.sampled_from(sorted(EVENT_TYPES)), JSON),
    "messageId": IDS,
    "userId": IDS,
    "anonymousId": IDS,
    "groupId": IDS,
    "previousId": IDS,
    "event": st.one_of(ANY_TEXT, st.just("e" * 513), JSON),
    "name": st.one_of(ANY_TEXT, JSON),
    "category": st.one_of(ANY_TEXT, JSON),
    "timestamp": TIMESTAMPS,
    "originalTimestamp": TIMESTAMPS,
    "sentAt": TIMESTAMPS,
    "traits": nested_json(),
    "properties": nested_json(),
    "context": CONTEXTS,
    "integrations": nested_json(),
    "writeKey": st.one_of(ANY_TEXT, JSON),
}
MESSAGES = st.fixed_dictionaries({}, optional=FIELDS).flatmap(
    lambda doc: st.dictionaries(KEYS, JSON, max_size=2).map(lambda extra: {**extra, **doc})
)


@st.composite
def encoded(draw: st.DrawFn, doc: Any) -> bytes:
    """JSON text as a client might send it: escaped or raw UTF-8, lone surrogates and all."""
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """Truncate, splice or flip bytes of a body."""
    at = draw(st.integers(0, max(len(raw) - 1, 0)))
    how = draw(st.sampled_from(["cut", "insert", "flip"]))
    if how == "cut" or not raw:
        return raw[:at]
    if how == "insert":
        return raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]


@dataclass
class Sink:
    """The real events table (migrations on a DuckDB file) and the real read path."""

    store: Store
    limits: Limits

    def check(self, rows: list[EventRow], *, source: str, received: datetime) -> list[Any]:
        """Row invariants, then store the rows and read them back as the API would."""
        for row in rows:
            got = as_dict(row)
            assert got["source_id"] == source
            assert isinstance(got["message_id"], str) and got["message_id"]
            ts = got["timestamp"]
            assert isinstance(ts, datetime) and ts.utcoffset() == timedelta(0)
            assert self.limits.min_timestamp <= ts <= received + self.limits.max_future
            for col in ("user_id", "anonymous_id", "group_id", "previous_id"):
                assert got[col] is None or 0 < len(got[col]) <= self.limits.max_id_length
            for col in JSON_COLUMNS:
                if got[col] is not None:
                    value = json.loads(got[col], parse_constant=_no_constant)
                    assert isinstance(value, dict)
                    # The event object is level 1, so a field holds at most max_depth - 1.
                    assert _depth_of(value) <= self.limits.max_depth - 1, col
        if not rows:
            return []
        with self.store.session() as s:
            s.register("flush_batch", rows_to_arrow(rows))
            try:
                s.execute(INSERT_SQL, step="test.insert")  # the writer's own statement
            finally:
                s.unregister("flush_batch")
        read = EventQuery(self.store).list_events(source_id=source, limit=1000)
        assert {e.messageId for e in read} == {as_dict(r)["message_id"] for r in rows}
        return read


def _depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth_of, value), default=0)
    return 0


def _no_constant(name: str) -> float:
    raise AssertionError(f"{name} is not JSON")


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory, limits: Limits) -> Iterator[Sink]:
    store = Store(Path(":memory:"))  # the real migrations, in memory: no fsync per example
    migrate_workspace(store)
    yield Sink(store, limits)
    store.close()


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _source() -> str:
    return f"src_{uuid.uuid4().hex}"


def _issues_are_named(exc: ValidationError) -> None:
    assert exc.issues
    assert all(i.field and i.rule and i.message is not None for i in exc.issues)


# Valid by construction: ints of any size, finite floats, text without lone surrogates, depth
# within the limit. Such a payload must be accepted and read back unchanged.
VALID_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**400), 10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
VALID_JSON = st.recursive(
    VALID_SCALARS,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=30,
)
VALID_OBJECTS = st.dictionaries(st.text(max_size=8), VALID_JSON, max_size=5)


REQUIRED = {
    "userId": "u-1",
    "anonymousId": "a-1",
    "event": "Viewed",
    "groupId": "g-1",
    "previousId": "p-1",
}


def plausible(objects: st.SearchStrategy[Any], *, sent_at: bool) -> st.SearchStrategy[Any]:
    """A message that meets the spec rules, with generated payload fields."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "traits": objects,
        "properties": objects,
        "context": objects,
        "integrations": objects,
        "timestamp": NEAR_NOW.map(datetime.isoformat),
        "messageId": st.text(min_size=1, max_size=40).filter(str.strip),
        "name": st.text(max_size=40),
    }
    if sent_at:
        optional["sentAt"] = NEAR_NOW.map(datetime.isoformat)
    return st.builds(
        lambda type_, extra: {"type": type_, **REQUIRED, **extra},
        st.sampled_from(SINGLE),
        st.fixed_dictionaries({}, optional=optional),
    )


HOSTILE_OBJECTS = st.dictionaries(KEYS, nested_json(), max_size=3)
BATCH_ITEMS = st.one_of(MESSAGES, JSON, plausible(HOSTILE_OBJECTS, sent_at=True))


@FUZZ
@given(data=st.data(), doc=MESSAGES, type_=st.sampled_from(SINGLE), damage=st.booleans())
def test_single_event_never_fails_unexpectedly(
    sink: Sink, data: st.DataObject, doc: dict[str, Any], type_: str, damage: bool
) -> None:
    raw = data.draw(encoded(doc))
    if damage:
        raw = data.draw(damaged(raw))
    source = _source()
    try:
        row, _ = decode_single(raw, type_=type_, info=info(source, RECEIVED), limits=sink.limits)
    except ValidationError as exc:
        _issues_are_named(exc)
        return
    assert as_dict(row)["type"] == type_
    sink.check([row], source=source, received=RECEIVED)


@FUZZ
@given(
    data=st.data(),
    items=st.lists(BATCH_ITEMS, max_size=6),
    envelope=st.fixed_dictionaries(
        {},
        optional={
            "context": CONTEXTS,
            "integrations": nested_json(),
            "sentAt": TIMESTAMPS,
            "writeKey": st.one_of(ANY_TEXT, JSON),
        },
    ),
    damage=st.booleans(),
)
def test_batch_never_fails_unexpectedly(
    sink: Sink, data: st.DataObject, items: list[Any], envelope: dict[str, Any], damage: bool
) -> None:
    raw = data.draw(encoded({**envelope, "batch": items}))
    if damage:
        raw = data.draw(damaged(raw))
    source = _source()
    try:
        decoded = decode_batch(raw, info=info(source, RECEIVED), limits=sink.limits)
    except ValidationError as exc:
        _issues_are_named(exc)
        return
    rejected = {i.index for i in decoded.issues}
    assert None not in rejected
    if not damage:
        # Every item is a row or is reported by its index: never both, never lost.
        assert rejected <= set(range(len(items)))
        assert len(decoded.rows) + len(rejected) == len(items)
    sink.check(decoded.rows, source=source, received=RECEIVED)


@FUZZ
@given(raw=st.binary(max_size=2048), type_=st.sampled_from((*SINGLE, "batch")))
def test_arbitrary_bytes_never_fail_unexpectedly(sink: Sink, raw: bytes, type_: str) -> None:
    source = _source()
    try:
        if type_ == "batch":
            rows = decode_batch(raw, info=info(source, RECEIVED), limits=sink.limits).rows
        else:
            rows = [
                decode_single(raw, type_=type_, info=info(source, RECEIVED), limits=sink.limits)[0]
            ]
    except ValidationError as exc:
        _issues_are_named(exc)
        return
    sink.check(rows, source=source, received=RECEIVED)


@FUZZ
@given(doc=plausible(VALID_OBJECTS, sent_at=False), ascii_only=st.booleans())
def test_valid_payloads_are_stored_and_read_back_unchanged(
    sink: Sink, doc: dict[str, Any], ascii_only: bool
) -> None:
    source = _source()
    raw = json.dumps(doc, ensure_ascii=ascii_only).encode()
    row, _ = decode_single(raw, type_=doc["type"], info=info(source, RECEIVED), limits=sink.limits)
    (event,) = sink.check([row], source=source, received=RECEIVED)
    for field in JSON_COLUMNS:
        if field == "traits" and "traits" not in doc and doc["type"] == "identify":
            continue  # identify may take its traits from context.traits
        assert getattr(event, field) == doc.get(field)
