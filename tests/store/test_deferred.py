"""Deferred writes: written with the next commit or flush, in one transaction; a failed
commit raises in its caller and does not take the deferred items down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from unicx.errors import StoreError
from unicx.store import Session, Store
from unicx.store.deferred import DeferredWrites


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "d.duckdb")
    with s.session() as session:
        session.execute("CREATE TABLE items (k INTEGER PRIMARY KEY)", step="t")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def writes(store: Store) -> tuple[DeferredWrites[int], list[list[int]]]:
    transactions: list[list[int]] = []

    def write(s: Session, keys: list[int]) -> None:
        transactions.append(sorted(keys))
        s.execute("INSERT INTO items SELECT unnest($k::INTEGER[])", {"k": keys}, step="t.i")

    return DeferredWrites(store, write), transactions


def _stored(store: Store) -> list[int]:
    with store.session() as s:
        return [int(r[0]) for r in s.fetchall("SELECT k FROM items ORDER BY k", step="t.all")]


def test_deferred_items_ride_with_the_next_commit_or_a_flush(
    store: Store, writes: tuple[DeferredWrites[int], list[list[int]]]
) -> None:
    deferred, transactions = writes
    deferred.later(10)
    deferred.later(11)
    assert transactions == [] and _stored(store) == []  # nothing written yet
    deferred.commit(1)
    assert transactions == [[1, 10, 11]]  # one transaction
    deferred.later(12)
    deferred.flush()
    deferred.flush()  # nothing left: no empty transaction
    assert transactions == [[1, 10, 11], [12]]
    assert _stored(store) == [1, 10, 11, 12]


def test_a_failed_commit_raises_and_the_deferred_items_are_still_written(
    store: Store, writes: tuple[DeferredWrites[int], list[list[int]]]
) -> None:
    deferred, _ = writes
    deferred.commit(1)
    deferred.later(20)
    with pytest.raises(StoreError):
        deferred.commit(1)  # duplicate key: its transaction rolls back ...
    assert _stored(store) == [1, 20]  # ... and the rider is written on its own
    deferred.commit(2)  # later commits are not affected
    assert _stored(store) == [1, 2, 20]
