"""Each layer of the custom-trait defence holds when the others are switched off."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tests.conftest import Workspace
from unicx.errors import StoreError, ValidationError
from unicx.profiles import custom_traits, custom_validate
from unicx.profiles.custom_traits import CustomTrait, save_custom_trait, validate_custom_trait
from unicx.profiles.custom_validate import Compiled
from unicx.profiles.traits import refresh_workspace
from unicx.store import Store
from unicx.store.sandbox import run_isolated

SMUGGLED = 'max(CAST(1 AS main."VARCHAR) || (SELECT 1) || CAST(1 AS VARCHAR"))'


def _escapes(target: Path) -> list[str]:
    return [
        "SELECT content FROM read_text('/etc/hostname')",
        f"COPY (SELECT 1) TO '{target}'",
        f"ATTACH '{target}.db' AS other",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM api_keys",
        "SELECT * FROM channel_configs",
        "SELECT * FROM workspace_meta",
    ]


def test_sandbox_reaches_nothing(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    for sql in _escapes(target):
        with pytest.raises(StoreError):
            run_isolated(store, sql, tables={}, step="test.escape")
    assert not target.exists() and not Path(f"{target}.db").exists()
    # What it is handed, it computes with.
    rows = pa.table({"profile_id": ["p"], "event": ["a"]})
    out = run_isolated(
        store,
        "SELECT count(*) AS n FROM event_profiles",
        tables={"event_profiles": rows},
        step="test.ok",
    )
    assert out.to_pylist() == [{"n": 1}]


def test_rendering_check_catches_a_type_hole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the type allow-list, the re-parse of the rendering gives another tree.
    monkeypatch.setattr(custom_validate, "_check_type", lambda node: None)
    with store.session() as s, pytest.raises(ValidationError) as caught:
        validate_custom_trait(s, CustomTrait(name="x", sql=SMUGGLED))
    assert caught.value.issues[0].rule == "unsafe_rendering"


def _hole(sql: str) -> Compiled:
    return Compiled(sql=sql, columns=frozenset({"event"}))


def test_sandbox_holds_when_the_checker_fails(
    store: Store, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend the checker let these through: the dry run and the refresh run them in the
    # sandbox, which has no api_keys to read and no file to write.
    target = tmp_path / "keys.csv"
    leaks = [
        "max((SELECT string_agg(key_hash, ',') FROM api_keys))",
        "max((SELECT content FROM read_text('/etc/hostname')))",
        f"sum(1); COPY (SELECT key_hash FROM api_keys) TO '{target}'; SELECT max(1)",
    ]
    for sql in leaks:
        monkeypatch.setattr(custom_traits, "compile_expression", lambda _, sql=sql: _hole(sql))
        with pytest.raises(ValidationError) as caught:
            save_custom_trait(store, workspace.settings, CustomTrait(name="leak", sql="x"))
        assert caught.value.issues[0].rule == "sql_error"
    assert not target.exists()
    assert not (workspace.path / "traits.toml").exists()
    # Nor does a refresh whose dry run is skipped too: it runs the trait in the sandbox.
    monkeypatch.setattr(custom_traits, "dry_run", lambda session, compiled: None)
    path = custom_traits.traits_path(workspace.settings)
    path.write_text('[[trait]]\nname = "leak"\nsql = "x"\n', encoding="utf-8")
    for sql in leaks:
        monkeypatch.setattr(custom_traits, "compile_expression", lambda _, sql=sql: _hole(sql))
        with pytest.raises(StoreError):
            refresh_workspace(store, workspace.settings)
    assert not target.exists()
