from __future__ import annotations

import logging
from pathlib import Path

import pytest

from unicx.assembly import MIGRATIONS, migrate_workspace
from unicx.channels.person_token import read_secret
from unicx.errors import NotFoundError, StoreError, WorkspaceLockedError
from unicx.store import Store
from unicx.store.migrations import Migration, current_version, migrate


def test_migrations_apply_once_and_record_versions(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    assert migrate_workspace(store) == [m.version for m in MIGRATIONS]
    assert migrate_workspace(store) == []
    assert current_version(store) == MIGRATIONS[-1].version
    with store.session() as s:
        tables = {r[0] for r in s.fetchall("SHOW TABLES", step="t")}
    assert {"events", "sources", "write_keys", "api_keys", "schema_migrations"} <= tables
    store.close()


def test_new_migration_applies_on_reopen_and_failure_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    store = Store(path)
    migrate_workspace(store)
    broken = (*MIGRATIONS, Migration(99, "broken", "CREATE TABLE ok_t (a INT); SELECT * FROM nope"))
    with pytest.raises(StoreError):
        migrate(store, migrations=broken)
    # The failed migration left neither its table nor a version row behind.
    assert current_version(store) == MIGRATIONS[-1].version
    with store.session() as s:
        assert s.fetchall("SELECT * FROM duckdb_tables() WHERE table_name = 'ok_t'", step="t") == []
    good = (*MIGRATIONS, Migration(99, "good", "CREATE TABLE ok_t (a INT)"))
    assert migrate(store, migrations=good) == [99]
    store.close()


def test_failures_carry_the_sql_and_step(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    with store.session() as s, pytest.raises(StoreError) as info:
        s.execute("SELECT * FROM missing_table", step="demo.step")
    assert info.value.sql == "SELECT * FROM missing_table"
    assert info.value.step == "demo.step"
    assert "missing_table" in info.value.message
    assert not info.value.retryable
    store.close()


def test_statements_are_logged_without_params_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "w.duckdb")
    with caplog.at_level(logging.DEBUG, logger="unicx.sql"), store.session() as s:
        s.execute("SELECT ?::VARCHAR", ["secret@example.com"], step="demo.log")
    text = caplog.text
    assert "demo.log" in text and "SELECT ?::VARCHAR" in text
    assert "secret@example.com" not in text
    store.close()


def test_second_process_sees_a_lock_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    store = Store(path)
    code = (
        "import sys; from pathlib import Path; from unicx.store import Store;"
        "from unicx.errors import WorkspaceLockedError\n"
        "try:\n    Store(Path(sys.argv[1]))\nexcept WorkspaceLockedError:\n    sys.exit(7)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], check=False)
    assert result.returncode == 7
    store.close()
    assert WorkspaceLockedError.retryable


def test_migration_9_gives_existing_workspaces_a_person_token_secret(tmp_path: Path) -> None:
    """A workspace made before migration 9 gets its secret on the next open; a new one at init;
    each its own, and a re-run never replaces it (tokens already issued stay valid)."""
    secrets = []
    for name in ("old", "other"):
        store = Store(tmp_path / f"{name}.duckdb")
        migrate(store, migrations=tuple(m for m in MIGRATIONS if m.version < 9))
        with pytest.raises(NotFoundError):
            read_secret(store)
        assert 9 in migrate_workspace(store)
        secrets.append(read_secret(store))
        assert migrate_workspace(store) == [] and read_secret(store) == secrets[-1]
        store.close()
    assert len(bytes.fromhex(secrets[0])) == 32 and secrets[0] != secrets[1]


def test_a_migration_merged_after_a_higher_one_still_applies(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    migrate(store, migrations=tuple(m for m in MIGRATIONS if m.version != 9))
    assert current_version(store) == MIGRATIONS[-1].version > 9
    assert migrate_workspace(store) == [9] and len(read_secret(store)) == 64
    store.close()


def test_duckdb_threads_setting_reaches_the_connection(tmp_path: Path) -> None:
    from unicx.config import load_settings
    from unicx.workspace import open_store

    settings = load_settings(workspace=tmp_path / "ws", duckdb_threads=1)
    store = open_store(settings, create=True)
    try:
        with store.session() as s:
            row = s.fetchone("SELECT current_setting('threads')", step="test.threads")
        assert row is not None and int(row[0]) == 1
    finally:
        store.close()
