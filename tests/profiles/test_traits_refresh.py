"""Incremental refresh (a few profiles) against the full refresh, and merged-away profiles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Workspace
from tests.profiles.test_traits_builtin import IDENTITIES, NOW, _an, _binh, _chi, _dung
from tests.profiles.traits_data import WEB, computed, event, load, profile_traits, snapshot
from unicx.profiles.traits import refresh_traits
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Store:
    store = open_store(workspace.settings)
    load(store, _an() + _binh() + _chi() + _dung(), IDENTITIES)
    refresh(store, workspace, None)
    return store


def refresh(store: Store, workspace: Workspace, ids: list[str] | None) -> int:
    with store.session() as s, s.transaction():
        return refresh_traits(s, workspace.settings, ids, now=NOW)


def rows_of(store: Store, profile_id: str) -> list[tuple[Any, ...]]:
    return [r for r in snapshot(store) if r[1] == profile_id]


def test_incremental_equals_full(store: Store, workspace: Workspace) -> None:
    new = [
        event("track", "2024-06-29 09:00", user_id="u-chi", event="Order Completed",
              context=WEB, properties={"order_id": "C1", "revenue": 90000}),
        event("identify", "2024-06-29 09:01", user_id="u-chi", traits={"plan": "trial"}),
    ]  # fmt: skip
    load(store, new, {})
    with store.session() as s:
        s.execute(
            "INSERT INTO identities VALUES ('user_id', 'u-chi', 'p-chi', now(), now())",
            step="test.link",
        )
    others = [r for r in snapshot(store) if r[1] != "p-chi"]
    refresh(store, workspace, ["p-chi"])
    incremental = rows_of(store, "p-chi")
    assert [r for r in snapshot(store) if r[1] != "p-chi"] == others  # nobody else touched
    assert computed(store, "p-chi")["orders_count"] == 1
    assert profile_traits(store, "p-chi") == {"city": "Hà Nội", "plan": "trial"}
    refresh(store, workspace, None)
    assert rows_of(store, "p-chi") == incremental


def test_merged_away_profile_loses_its_rows(store: Store, workspace: Workspace) -> None:
    assert computed(store, "p-chi")
    with store.session() as s, s.transaction():
        s.execute(
            "UPDATE identities SET profile_id = 'p-an' WHERE profile_id = 'p-chi'; "
            "DELETE FROM profiles WHERE profile_id = 'p-chi'",
            step="test.merge",
        )
    refresh(store, workspace, ["p-an", "p-chi"])
    assert computed(store, "p-chi") == {} and profile_traits(store, "p-chi") == {}
    merged = computed(store, "p-an")
    assert merged["page_views"] == 5 + 3
    assert merged["sessions"] == 4 + 2
    assert merged["last_seen"] == "2024-06-29T17:40:00.000Z"
    assert profile_traits(store, "p-an")["city"] == "Hà Nội"


def test_empty_list_changes_nothing(store: Store, workspace: Workspace) -> None:
    before = snapshot(store)
    assert refresh(store, workspace, []) == 0
    assert snapshot(store) == before


def test_unknown_profile_ids_are_harmless(store: Store, workspace: Workspace) -> None:
    before = snapshot(store)
    assert refresh(store, workspace, ["nobody", "p-binh", "p-binh"]) == 21
    assert snapshot(store) == before
