"""`format=hashed` segment export follows ads consent, tried with a marketer key (the lowest
role that can export) against a real server; and the run file never follows a symlink."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.runfile import RunInfo, write_run_info
from unicx.workspace import open_store


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _marketer(workspace: Workspace) -> dict[str, str]:
    store = open_store(workspace.settings)
    try:
        key = AccessService(store).create_api_key("marketer", Role.marketer)
    finally:
        store.close()
    return bearer(key.secret_key)


@pytest.mark.slow
def test_hashed_export_leaves_out_withdrawn_ads_consent(workspace: Workspace) -> None:
    marketer = _marketer(workspace)
    server = ServerProcess(workspace.path).start(timeout=120)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as api:
            batch = [
                {"type": "identify", "userId": "u-yes", "traits": {"email": "yes@ads.example",
                 "plan": "pro"}, "context": {"consent": {"ads": True}}},
                {"type": "identify", "userId": "u-no", "traits": {"email": "no@ads.example",
                 "plan": "pro"}, "context": {"consent": {"ads": False}}},
                {"type": "identify", "userId": "u-unknown", "traits": {
                 "email": "unknown@ads.example", "plan": "pro"}},
            ]  # fmt: skip
            res = api.post("/v1/batch", json={"batch": batch}, headers=basic(workspace.write_key))
            assert res.status_code == 200, res.text
            seg = {"name": "Pro", "definition": {"trait": "plan", "op": "eq", "value": "pro"}}
            made = api.post("/v1/segments", json=seg, headers=marketer)
            assert made.status_code == 201, made.text
            url = f"/v1/segments/{made.json()['segment_id']}/export"

            def exported() -> str:
                res = api.get(url, params={"format": "hashed"}, headers=marketer)
                assert res.status_code == 200, res.text
                return res.text

            eventually(lambda: sha("unknown@ads.example") in exported(), "the segment filled")
            text = exported()
            assert sha("yes@ads.example") in text and sha("no@ads.example") not in text
    finally:
        server.stop()


def test_run_file_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    os.symlink(target, run_dir / "server.tmp")  # planted at the temporary name
    write_run_info(run_dir, RunInfo(pid=1, url="http://127.0.0.1:1", token="t"))
    assert target.read_text() == "keep me"
    written = run_dir / "server.json"
    assert not written.is_symlink() and oct(written.stat().st_mode & 0o777) == "0o600"
    assert oct(run_dir.stat().st_mode & 0o777) == "0o700"
