"""Erasure through a real server leaves no byte of the person in any file of the workspace.

A person with a distinctive e-mail, phone and user id is spread over events, traits, an import
(with a rejects file), a segment, an ad-audience file, another person's event that mentions
them, and an upload left behind by a crashed import. After ``DELETE /v1/profiles/{id}`` every
file under the workspace (database, WAL, rejects, audience files, leftovers) and the server's
log are scanned for the raw, normalized and hashed (SHA-256 hex, as ad platforms take) forms.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer, eventually

RAW_EMAIL = "  Zq.Erasable+Shop@Forget-Me.example "
EMAIL = "zq.erasable+shop@forget-me.example"
RAW_PHONE = "0913 579 246"
PHONE = "+84913579246"
USER_ID = "zq-user-8x7c3"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def forms() -> set[bytes]:
    plain = {RAW_EMAIL.strip(), EMAIL, RAW_PHONE, PHONE, PHONE[1:], "0913579246", USER_ID}
    hashed = {sha(EMAIL), sha("zq.erasable@forget-me.example"), sha(PHONE), sha(PHONE[1:])}
    return {f.encode() for f in plain | hashed} | {b"zq.erasable", b"Zq.Erasable"}


def found(root: Path, *extra: Path, skip: frozenset[Path] = frozenset()) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in [*root.rglob("*"), *extra]:
        if path.is_file() and path not in skip:
            data = path.read_bytes()
            names = [f.decode() for f in forms() if f in data]
            if names:
                hits[str(path.relative_to(root.parent))] = names
    return hits


def _ingest(api: httpx.Client, write_key: str) -> None:
    batch = [
        {"type": "identify", "userId": USER_ID, "anonymousId": "zq-anon-1",
         "traits": {"email": RAW_EMAIL, "phone": RAW_PHONE, "plan": "pro"}},
        {"type": "track", "userId": USER_ID, "event": "Order Completed",
         "properties": {"order_id": "zq-o1", "revenue": 120000, "email": EMAIL}},
        {"type": "identify", "userId": "other-person-1", "traits": {"plan": "pro",
         "email": "other.person@example.vn"}},
        # Someone else's event that mentions the person: it stays, the mention goes.
        {"type": "track", "userId": "other-person-1", "event": "Referral Sent",
         "properties": {"friend": RAW_EMAIL.strip(), "note": f"call {RAW_PHONE}"}},
    ]  # fmt: skip
    res = api.post("/v1/batch", json={"batch": batch}, headers=basic(write_key))
    assert res.status_code == 200, res.text


def _import(api: httpx.Client, admin: dict[str, str]) -> None:
    rows = f"user_id,email,phone\n{USER_ID},{EMAIL},{RAW_PHONE}\nzq-typo,not-an-email@,{PHONE}\n"
    res = api.post(
        "/v1/imports",
        headers=admin,
        data={"kind": "profiles", "mapping": "user_id=user_id,email=email,phone=phone"},
        files={"file": ("people.csv", rows.encode(), "text/csv")},
    )
    assert res.status_code == 200, res.text
    assert res.json()["rejected"] == 1


def _profile_id(api: httpx.Client, admin: dict[str, str]) -> str:
    def ready() -> bool:
        res = api.get("/v1/profiles/lookup", params={"email": EMAIL}, headers=admin)
        return res.status_code == 200

    eventually(ready, "the person's profile")
    res = api.get("/v1/profiles/lookup", params={"email": EMAIL}, headers=admin)
    return str(res.json()["profile_id"])


def _audience(api: httpx.Client, admin: dict[str, str], folder: Path) -> None:
    seg = {"name": "Pro", "definition": {"trait": "plan", "op": "eq", "value": "pro"}}
    assert api.post("/v1/segments", json=seg, headers=admin).status_code == 201
    body = {"name": "Meta pro", "segment": "Pro", "destination": "meta_custom_audience"}
    assert api.post("/v1/audiences", json=body, headers=admin).status_code == 201
    eventually(lambda: _sent(api, admin, folder), "the person in an audience file")


def _sync(api: httpx.Client, admin: dict[str, str]) -> httpx.Response:
    run = api.post("/v1/audiences/Meta pro/sync", params={"mode": "delta"}, headers=admin)
    assert run.status_code == 200, run.text
    return run


def _sent(api: httpx.Client, admin: dict[str, str], folder: Path) -> bool:
    _sync(api, admin)
    return any(sha(EMAIL) in p.read_text() for p in folder.rglob("*_add.csv"))


@pytest.mark.slow
def test_erasure_leaves_no_byte_in_any_file(workspace: Workspace, server: ServerProcess) -> None:
    admin = bearer(workspace.secret_key)
    with httpx.Client(base_url=server.url, timeout=60) as api:
        _ingest(api, workspace.write_key)
        profile_id = _profile_id(api, admin)
        _import(api, admin)
        _audience(api, admin, workspace.path / "audiences")
        leftover = workspace.path / "imports" / "upload_crashed_people.csv"
        leftover.write_text(f"email\n{EMAIL}\n")  # an import killed before its cleanup
        assert found(workspace.path)  # the scan sees the person before
        res = api.delete(f"/v1/profiles/{profile_id}", headers=admin)
        assert res.status_code == 200, res.text
        assert res.json()["compacted"] is True
        # The next sync tells the platform to drop them: that file is the removal itself.
        run = _sync(api, admin)
        assert run.json()["removed"] == 2, run.text
        (removal,) = [workspace.path / f for f in run.json()["files"] if f.endswith("remove.csv")]
        assert sha(PHONE[1:]) in removal.read_text() and sha(EMAIL) in removal.read_text()
        assert found(workspace.path, server.log_path or leftover, skip=frozenset({removal})) == {}
        # The other person's event stays, without the mention.
        other = api.get("/v1/profiles/lookup", params={"user_id": "other-person-1"}, headers=admin)
        assert other.status_code == 200


@pytest.mark.slow
def test_workspace_files_are_private(workspace: Workspace, server: ServerProcess) -> None:
    admin = bearer(workspace.secret_key)
    with httpx.Client(base_url=server.url, timeout=60) as api:
        _ingest(api, workspace.write_key)
        _profile_id(api, admin)
        _import(api, admin)
        _audience(api, admin, workspace.path / "audiences")
    for path in [workspace.path, *workspace.path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        assert mode == want, f"{path}: {oct(mode)}"
