"""emptied_without_key: a keyed table reloaded in bulk keeps its definition and its key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from unicx.config import load_settings
from unicx.errors import ConstraintViolationError
from unicx.store import Session, Store
from unicx.store.bulk import emptied_without_key
from unicx.workspace import open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(load_settings(workspace=tmp_path), create=True)
    yield s
    s.close()


def _shape(s: Session, table: str) -> list[tuple[object, ...]]:
    columns = s.fetchall(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name = ? ORDER BY column_index",
        [table],
        step="test.columns",
    )
    keys = s.fetchall(
        "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
        [table],
        step="test.keys",
    )
    return [*columns, *keys]


@pytest.mark.parametrize("table", ["identities", "profiles"])
def test_definition_and_key_survive(store: Store, table: str) -> None:
    with store.session() as s:
        before = _shape(s, table)
        with s.transaction(), emptied_without_key(s, table):
            pass
        assert _shape(s, table) == before


def test_reload_keeps_key_and_refuses_duplicates(store: Store) -> None:
    row = "INSERT INTO identities VALUES ('email', ?, ?, now(), now())"
    with store.session() as s:
        s.execute(row, ["a@x.vn", "p1"], step="test.seed")
        with s.transaction(), emptied_without_key(s, "identities"):
            s.execute(row, ["a@x.vn", "p2"], step="test.reload")
            s.execute(row, ["b@x.vn", "p2"], step="test.reload")
        assert s.fetchall(
            "SELECT id_value, profile_id FROM identities ORDER BY 1", step="test.read"
        ) == [("a@x.vn", "p2"), ("b@x.vn", "p2")]
        with pytest.raises(ConstraintViolationError):
            s.execute(row, ["a@x.vn", "p3"], step="test.duplicate")
        # A reload that would break the key fails as a whole and leaves the table as it was.
        with (
            pytest.raises(ConstraintViolationError),
            s.transaction(),
            emptied_without_key(s, "identities"),
        ):
            s.execute(row, ["c@x.vn", "p4"], step="test.reload")
            s.execute(row, ["c@x.vn", "p5"], step="test.reload")
        assert s.fetchall(
            "SELECT id_value, profile_id FROM identities ORDER BY 1", step="test.read"
        ) == [("a@x.vn", "p2"), ("b@x.vn", "p2")]
