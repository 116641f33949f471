from __future__ import annotations

from pathlib import Path

import pytest

from unicx.config import load_settings
from unicx.errors import ConfigError


def test_defaults_follow_segment_limits(tmp_path: Path) -> None:
    s = load_settings(workspace=tmp_path)
    assert s.max_event_bytes == 32 * 1024
    assert s.max_batch_bytes == 500 * 1024
    assert s.db_path == tmp_path / "unicx.duckdb"


def test_env_and_workspace_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "unicx.toml").write_text("port = 9123\nflush_interval_ms = 7.5\n")
    monkeypatch.setenv("UNICX_WORKSPACE", str(tmp_path))
    s = load_settings()
    assert (s.port, s.flush_interval_ms) == (9123, 7.5)
    monkeypatch.setenv("UNICX_PORT", "9200")
    assert load_settings().port == 9200  # env beats the file
    assert load_settings(port=9300).port == 9300  # explicit beats env


@pytest.mark.parametrize("unsafe", [{"debug": True}, {"log_sql_params": True}])
def test_production_refuses_unsafe_settings(tmp_path: Path, unsafe: dict[str, bool]) -> None:
    load_settings(workspace=tmp_path, **unsafe)  # fine in development
    with pytest.raises(ConfigError, match="unsafe"):
        load_settings(workspace=tmp_path, env="production", **unsafe)


def test_invalid_values_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port"):
        load_settings(workspace=tmp_path, port=70000)
    (tmp_path / "unicx.toml").write_text("no_such_setting = 1\n")
    with pytest.raises(ConfigError, match="no_such_setting"):
        load_settings(workspace=tmp_path)
