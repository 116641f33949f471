"""The audience benchmark generator (bench/audience_data.py) at a small scale: what it writes
directly (identities, profiles) is what identity resolution makes of its events, the data has
the shape the segment and report benchmarks rely on, and fresh batches resolve and undo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.bench.loader import load_bench
from unicx.config import Settings, load_settings
from unicx.identity.service import IdentityService
from unicx.store import Session, Store
from unicx.workspace import open_store

NOW = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
PEOPLE = 500


audience = load_bench("audience_data")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audience") / "ws"
    audience.build_workspace(path, people=PEOPLE, now=NOW)
    return path


@pytest.fixture
def ws(built: Path, tmp_path: Path) -> Iterator[tuple[Store, Settings]]:
    """A private copy of the built workspace."""
    path = tmp_path / "ws"
    path.mkdir()
    (path / "unicx.duckdb").write_bytes((built / "unicx.duckdb").read_bytes())
    settings = load_settings(workspace=path)
    store = open_store(settings)
    try:
        yield store, settings
    finally:
        store.close()


def _partition(s: Session) -> set[frozenset[tuple[str, str]]]:
    rows = s.fetchall(
        "SELECT list((id_type, id_value)) FROM identities GROUP BY profile_id", step="t.ids"
    )
    return {frozenset(tuple(x) for x in r[0]) for r in rows}


def _seen(s: Session) -> dict[tuple[str, str], tuple[datetime, datetime]]:
    rows = s.fetchall(
        "SELECT id_type, id_value, first_seen, last_seen FROM identities", step="t.seen"
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _one(s: Session, sql: str) -> Any:
    row = s.fetchone(sql, step="t.one")
    assert row is not None
    return row[0]


def test_identities_are_what_identity_resolution_makes(ws: tuple[Store, Settings]) -> None:
    store, settings = ws
    with store.session() as s:
        written, seen = _partition(s), _seen(s)
        profiles = _one(s, "SELECT count(*) FROM profiles")
    assert len(written) == profiles == PEOPLE
    types = {t for ids in written for t, _ in ids}
    assert types == {"user_id", "anonymous_id", "device_id", "email", "phone"}
    result = IdentityService(store, settings).rebuild()
    assert result.merges == 0 and result.conflicts == 0
    with store.session() as s:
        assert _partition(s) == written
        assert _seen(s) == seen


def test_shape_for_segments_and_reports(ws: tuple[Store, Settings]) -> None:
    store, _ = ws
    with store.session() as s:
        events = _one(s, "SELECT count(*) FROM events")
        assert 18 * PEOPLE < events < 22 * PEOPLE
        names = {r[0] for r in s.fetchall("SELECT DISTINCT event FROM events", step="t")}
        assert {"Product Viewed", "Product Added", "Checkout Started", "Order Completed",
                "Order Refunded", "Email Opened", "Signed Up",
                "Consent Updated"} <= names  # fmt: skip
        assert _one(s, "SELECT count(*) FROM events WHERE user_id IS NULL") > 0
        # every event belongs to a profile, received before now, stored in time order (by
        # windows of 1/12 of the events at this size)
        assert _one(s, "SELECT count(*) FROM event_profiles WHERE profile_id IS NULL") == 0
        assert _one(s, f"SELECT max(received_at) < '{NOW}' FROM events")
        assert _one(
            s,
            "SELECT max(before - timestamp) < INTERVAL 60 DAY FROM (SELECT timestamp, "
            "max(timestamp) OVER (ORDER BY rowid) AS before FROM events)",
        )
        countries = {r[0] for r in s.fetchall("SELECT DISTINCT country FROM events", step="t")}
        assert {"VN", "SG", "TH", "JP", "US"} <= countries
        # computed traits and consents exist for the profiles, as in production
        assert _one(s, "SELECT count(*) FROM profile_computed") == PEOPLE
        assert 0.15 < _one(s, "SELECT avg((orders_count > 0)::INT) FROM profile_computed") < 0.4
        assert _one(s, "SELECT count(DISTINCT purpose) FROM consents") == 2
        assert _one(s, "SELECT count(DISTINCT name) FROM profile_traits") >= 4


def test_beer_buyers_buy_sake(ws: tuple[Store, Settings]) -> None:
    store, _ = ws
    with store.session() as s:
        lift = _one(
            s,
            """WITH bought AS (
              SELECT DISTINCT profile_id, unnest(CAST(json_extract_string(properties,
                '$.products[*].category') AS VARCHAR[])) AS cat
              FROM event_profiles WHERE event = 'Order Completed'),
            p AS (SELECT profile_id, bool_or(cat = 'bia') AS beer, bool_or(cat = 'ruou-sake')
                  AS sake FROM bought GROUP BY profile_id)
            SELECT avg(sake::INT) FILTER (WHERE beer) / avg(sake::INT) FROM p""",
        )
    assert lift > 1.5


def test_fresh_batch_resolves_and_is_undone(ws: tuple[Store, Settings]) -> None:
    store, settings = ws
    with store.session() as s:
        before = _one(s, "SELECT count(*) FROM events")
        traits = s.fetchall("SELECT * FROM computed_traits ORDER BY ALL", step="t")
        seen = _seen(s)
    touched = audience.fresh_events(store, count=1000, now=NOW, seed=1)
    assert 100 < len(touched) <= 200 and all(p.startswith("p") for p in touched)
    assert audience.fresh_events(store, count=1000, now=NOW, seed=1) == touched
    with store.session() as s:
        assert _one(s, "SELECT count(*) FROM events") == before + 1000
        assert _one(s, f"SELECT count(*) FROM events WHERE received_at = '{NOW}'") == 1000
    result = IdentityService(store, settings).resolve_since(NOW)
    assert set(touched) <= set(result.touched)
    with store.session() as s:
        new = _one(s, "SELECT count(*) FROM profiles")
    assert PEOPLE + 50 < new <= PEOPLE + 100
    # the cache helper takes the workspace back to its built state
    store.close()
    again, _, now = audience.ensure_workspace(settings.workspace, people=PEOPLE, now=NOW)
    try:
        assert now == NOW
        with again.session() as s:
            assert _one(s, "SELECT count(*) FROM events") == before
            assert _one(s, "SELECT count(*) FROM profiles") == PEOPLE
            assert _seen(s) == seen
            assert s.fetchall("SELECT * FROM computed_traits ORDER BY ALL", step="t") == traits
    finally:
        again.close()
