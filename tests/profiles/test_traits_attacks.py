"""Custom-trait SQL attacked through a real server, with the lowest role that reaches each route.

``CAST(x AS main."<text>")`` used to parse as a user-defined type whose text sqlglot printed
back verbatim: statements, sub-queries and ``read_text`` passed every check. An analyst's dry
run executed a ``COPY`` of the api keys to a file; a marketer's saved trait read files, the SMTP
password in ``channel_configs`` and the workspace secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer

pytestmark = pytest.mark.slow


def _smuggle(inner: str) -> str:
    """A trait whose cast type name carries ``inner`` (SQL) out of the quoted identifier."""
    return f'max(CAST(1 AS main."VARCHAR) || ({inner}) || CAST(1 AS VARCHAR"))'


def _copy_keys_to(target: Path) -> str:
    return (
        'sum(CAST(1 AS main."INT); COPY (SELECT key_id, role, key_hash FROM api_keys) '
        f"TO '{target}'; SELECT (1\"))"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Workspace]]:
    from unicx.config import load_settings
    from unicx.workspace import init_workspace

    path = tmp_path_factory.mktemp("attacks") / "ws"
    settings = load_settings(workspace=path)
    ws = Workspace(path, settings, init_workspace(settings))
    server = ServerProcess(path).start()
    try:
        yield server, ws
    finally:
        server.stop()


def _key(server: ServerProcess, ws: Workspace, role: str) -> dict[str, str]:
    res = httpx.post(
        f"{server.url}/v1/keys",
        headers=bearer(ws.secret_key),
        json={"name": f"{role} key", "role": role},
    )
    assert res.status_code == 201, res.text
    return bearer(res.json()["secret_key"])


def _track(server: ServerProcess, ws: Workspace) -> None:
    event = {"userId": "u1", "event": "Order Completed", "properties": {"revenue": 5}}
    res = httpx.post(f"{server.url}/v1/track", headers=basic(ws.write_key), json=event)
    assert res.status_code == 200, res.text


def test_analyst_cannot_dry_run(site: tuple[ServerProcess, Workspace], tmp_path: Path) -> None:
    server, ws = site
    analyst = _key(server, ws, "analyst")
    target = tmp_path / "keys.csv"
    for sql in (_copy_keys_to(target), "count(*)"):
        res = httpx.post(
            f"{server.url}/v1/traits/validate", headers=analyst, json={"name": "x", "sql": sql}
        )
        assert res.status_code == 403, res.text
    assert not target.exists()
    # Reading definitions stays open to analysts.
    assert httpx.get(f"{server.url}/v1/traits", headers=analyst).status_code == 200


SECRETS = {
    "file": "SELECT content FROM read_text('/etc/hostname')",
    "channel_configs": "SELECT string_agg(CAST(config AS VARCHAR), ',') FROM channel_configs",
    "workspace_meta": "SELECT string_agg(key || '=' || value, ',') FROM workspace_meta",
    "api_keys": "SELECT string_agg(key_hash, ',') FROM api_keys",
}


@pytest.mark.parametrize("what", sorted(SECRETS))
def test_marketer_hostile_trait_refused(
    site: tuple[ServerProcess, Workspace], what: str, tmp_path: Path
) -> None:
    server, ws = site
    marketer = _key(server, ws, "marketer")
    _track(server, ws)
    for route in ("/v1/traits/validate", "/v1/traits"):
        body = {"name": f"leak_{what}", "sql": _smuggle(SECRETS[what])}
        res = httpx.post(f"{server.url}{route}", headers=marketer, json=body)
        assert res.status_code == 400, res.text
        issue = res.json()["issues"][0]
        assert (issue["field"], issue["rule"]) == ("sql", "unsupported_type"), issue
    assert not (ws.path / "traits.toml").exists()
    listed = httpx.get(f"{server.url}/v1/traits", headers=marketer).json()
    assert not any(t["name"].startswith("leak_") for t in listed)


def test_marketer_copy_writes_nothing(
    site: tuple[ServerProcess, Workspace], tmp_path: Path
) -> None:
    server, ws = site
    marketer = _key(server, ws, "marketer")
    target = tmp_path / "keys.csv"
    for route in ("/v1/traits/validate", "/v1/traits"):
        body = {"name": "copy_keys", "sql": _copy_keys_to(target)}
        res = httpx.post(f"{server.url}{route}", headers=marketer, json=body)
        assert res.status_code == 400, res.text
        assert res.json()["issues"][0]["rule"] == "unsupported_type"
    assert not target.exists()
    refreshed = httpx.post(f"{server.url}/v1/traits/refresh", headers=marketer)
    assert refreshed.status_code == 200, refreshed.text
    assert not target.exists()
