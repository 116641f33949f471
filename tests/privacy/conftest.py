"""Privacy fixtures: people seeded straight into a real workspace database.

Events go in through the ingest row builder (decode_single) and the same INSERT shape the
writer uses; identities, profiles and the identity/trait tables get rows written by hand, so
these tests do not depend on how identity resolution decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Workspace
from unicx.config import Settings
from unicx.ingest.models import Limits, RequestInfo
from unicx.ingest.schema import COLUMN_NAMES, EVENT_KEY_SQL, rows_to_arrow
from unicx.ingest.validate import decode_single
from unicx.store import Store
from unicx.workspace import open_store

SOURCE = "src_privacy_test"
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Person:
    tag: str
    profile_id: str
    user_id: str
    anonymous_ids: list[str]
    raw_email: str
    email: str
    raw_phone: str
    phone: str
    name: str
    device_id: str

    def secrets(self) -> list[str]:
        """Every value that must be gone after erasure."""
        return [
            self.user_id,
            *self.anonymous_ids,
            self.email,
            self.raw_email.strip(),
            self.phone,
            self.raw_phone,
            self.name,
            self.device_id,
        ]


def make_person(tag: str, digits: str) -> Person:
    return Person(
        tag=tag,
        profile_id=f"prof-{tag}",
        user_id=f"user-{tag}-7731",
        anonymous_ids=[f"anon-{tag}-web-91", f"anon-{tag}-app-42"],
        raw_email=f"  {tag.title()}.Nguyen@Example.COM ",
        email=f"{tag}.nguyen@example.com",
        raw_phone=f"0912 {digits[:3]} {digits[3:]}",
        phone=f"+84912{digits}",
        name=f"Nguyễn Thị {tag.title()}",
        device_id=f"device-{tag}-ios-5521",
    )


def insert_events(
    store: Store,
    settings: Settings,
    payloads: list[dict[str, Any]],
    *,
    received_at: datetime | None = None,
) -> None:
    """Validate payloads like ingest does and insert them as the writer would."""
    info = RequestInfo(SOURCE, received_at or datetime.now(UTC), None)
    limits = Limits.from_settings(settings)
    rows = [
        decode_single(json.dumps(p).encode(), type_=p["type"], info=info, limits=limits)[0]
        for p in payloads
    ]
    columns = ", ".join(COLUMN_NAMES)
    with store.session() as s, s.transaction():
        s.register("seed_batch", rows_to_arrow(rows))
        s.execute(
            f"INSERT INTO events (event_key, {columns}) "
            f"SELECT {EVENT_KEY_SQL}, {columns} FROM seed_batch",
            step="test.seed_events",
        )
        s.unregister("seed_batch")


def person_events(p: Person, *, at: datetime = LONG_AGO) -> list[dict[str, Any]]:
    ts = [(at + timedelta(minutes=i)).isoformat() for i in range(5)]
    web, app = p.anonymous_ids
    return [
        {"type": "page", "anonymousId": web, "name": "Home", "timestamp": ts[0]},
        {
            "type": "identify",
            "userId": p.user_id,
            "anonymousId": web,
            "timestamp": ts[1],
            "traits": {"email": p.raw_email, "phone": p.raw_phone, "name": p.name},
        },
        {
            "type": "track",
            "userId": p.user_id,
            "event": "Order Completed",
            "timestamp": ts[2],
            "properties": {"order_id": f"o-{p.tag}", "revenue": 250000},
        },
        {
            "type": "screen",
            "anonymousId": app,
            "name": "Cart",
            "timestamp": ts[3],
            "context": {"traits": {"email": p.raw_email}, "device": {"id": p.device_id}},
        },
        {"type": "alias", "userId": p.user_id, "previousId": app, "timestamp": ts[4]},
    ]


def seed_person(store: Store, settings: Settings, p: Person) -> Person:
    """The person's events plus a row in every identity/profile table that concerns them."""
    insert_events(store, settings, person_events(p), received_at=LONG_AGO)
    ids = [
        ("user_id", p.user_id),
        *[("anonymous_id", a) for a in p.anonymous_ids],
        ("email", p.email),
        ("phone", p.phone),
        ("device_id", p.device_id),
    ]
    ghost = f"prof-ghost-{p.tag}"
    moved = json.dumps([{"type": "anonymous_id", "value": p.anonymous_ids[1]}])
    name = json.dumps(p.name, ensure_ascii=False)
    with store.session() as s, s.transaction():
        s.execute(
            "INSERT INTO profiles VALUES (?, ?, ?)", [p.profile_id, LONG_AGO, LONG_AGO], step="t"
        )
        for id_type, value in ids:
            s.execute(
                "INSERT INTO identities VALUES (?, ?, ?, ?, ?)",
                [id_type, value, p.profile_id, LONG_AGO, LONG_AGO],
                step="t",
            )
        s.execute(
            "INSERT INTO identity_links VALUES ('email', ?, 'user_id', ?, 'manual', NULL, ?, 'k1')",
            [p.email, p.user_id, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO identity_blocks VALUES "
            "('device_id', ?, 'user_id', 'someone', 'unmerge', ?)",
            [p.device_id, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO identity_merges VALUES (?, 'prof-old-winner', 'prof-old-loser', "
            "'identifier', ?, ?, ?, NULL, NULL)",
            [f"m-{p.tag}", json.dumps({"via": "email"}), moved, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO identity_conflicts VALUES (?, 'device_id', ?, ?, ?, 'limit', NULL, ?, ?, "
            "1, 'open')",
            [f"c-{p.tag}", p.device_id, p.profile_id, ghost, LONG_AGO, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO match_reviews VALUES (?, ?, ?, 0.8, ?, 'open', ?, NULL, NULL)",
            [f"r-{p.tag}", p.profile_id, ghost, json.dumps({"name": p.name}), LONG_AGO],
            step="t",
        )
        for table in ("profile_traits", "computed_traits"):
            s.execute(
                f"INSERT INTO {table} VALUES (?, 'name', ?, ?)",
                [p.profile_id, name, LONG_AGO],
                step="t",
            )
        s.execute(
            "INSERT INTO profile_search (profile_id, name, search_text) VALUES (?, ?, ?)",
            [p.profile_id, p.name, f" {p.name.lower()} "],
            step="t",
        )
        s.execute(
            "INSERT INTO consents VALUES (?, 'email', true, ?, 'seed/1')",
            [p.profile_id, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO model_traits VALUES (?, 'persona', '\"p1\"', 'personas', '1', ?)",
            [p.profile_id, LONG_AGO],
            step="t",
        )
        s.execute(
            "INSERT INTO segment_members VALUES ('seg-1', ?, ?)", [p.profile_id, LONG_AGO], step="t"
        )
        s.execute(
            "INSERT INTO segment_changes (segment_id, profile_id, change, occurred_at, version, "
            "reason) VALUES ('seg-1', ?, 'entered', ?, 1, 'refresh')",
            [p.profile_id, LONG_AGO],
            step="t",
        )
        # Model outputs and serving logs of the predict/recommend/personalize domains.
        for sql in (
            "INSERT INTO rec_candidates VALUES ($p, 'sku-1', 0.5, 1)",
            "INSERT INTO rec_purchased VALUES ($p, 'sku-2')",
            "INSERT INTO rec_profiles VALUES ($p, 'VN')",
            "INSERT INTO rec_served VALUES ('rec-' || $p, $p, 'home', 'home', '[\"sku-1\"]', "
            "'v1', true, $t)",
            "INSERT INTO decisions (decision_id, profile_id, placement, offer_id, context, bucket, "
            "propensity, holdout, reason, state_version, decided_at) VALUES ('d-' || $p, $p, "
            "'home', 'o1', '{}', 'b', 0.5, false, 'bandit', 1, $t)",
            # Journeys and messages.
            "INSERT INTO journey_runs (run_id, journey_id, version, profile_id, node_id, phase, "
            "status, entered_at, updated_at) VALUES ('run-' || $p, 'j1', 1, $p, 'a', 'enter', "
            "'active', $t, $t)",
            "INSERT INTO journey_steps VALUES ('run-' || $p, 'j1', 1, $p, 'a', NULL, $t, 'x')",
            "INSERT INTO static_lists VALUES ('vip', $p, $t)",
            "INSERT INTO messages (message_id, profile_id, channel, category, spec, status, "
            "created_at, due_at, updated_at) VALUES ('m-' || $p, $p, 'email', 'marketing', "
            "'{}', 'sent', $t, $t, $t)",
            "INSERT INTO message_events VALUES ('m-' || $p, $p, 'email', 'opened', $t, '{}')",
            "INSERT INTO inbox (message_id, profile_id, channel, content, created_at) VALUES "
            "('i-' || $p, $p, 'web', '{}', $t)",
            "INSERT INTO suppressions VALUES ('email', 'x-' || $p, 'unsubscribed', $p, $t)",
            "INSERT INTO audience_sync_members VALUES ('s1', $p, 'email', 'h-' || $p)",
        ):
            params = {"p": p.profile_id} | ({"t": LONG_AGO} if "$t" in sql else {})
            s.execute(sql, params, step="t")
    return p


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def alice() -> Person:
    return make_person("alice", "345678")


@pytest.fixture
def bob() -> Person:
    return make_person("bob", "876543")
