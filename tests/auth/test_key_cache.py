"""A key-cache reload racing a revocation must not cache the revoked key again. The race is
played deterministically: the revocation commits right after the reload has read the keys
table (its ``*.load`` step) and before it stores what it read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import Workspace
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.store import Store
from unicx.workspace import open_store


class Race:
    """Runs ``then`` once, right after the statement of step ``after`` has run."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.after = ""
        self.then: Callable[[], object] | None = None
        run = store.run

        def racing_run(con: Any, sql: str, params: Any = None, *, step: str) -> Any:
            result = run(con, sql, params, step=step)
            if step == self.after and self.then is not None:
                then, self.then = self.then, None
                then()
            return result

        monkeypatch.setattr(store, "run", racing_run)

    def arm(self, after: str, then: Callable[[], object]) -> None:
        self.after, self.then = after, then


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    yield s
    s.close()


def test_secret_key_revoked_during_reload_stays_revoked(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    access = AccessService(store)
    doomed = access.create_api_key("doomed", Role.analyst)
    other = access.create_api_key("other", Role.analyst)
    race = Race(store, monkeypatch)
    race.arm("api_keys.load", lambda: access.revoke_api_key(doomed.key_id))
    access.authenticate(other.secret_key)  # the reload, with the revocation inside it
    assert race.then is None  # the race did run
    for _ in range(2):  # the cache holds the revocation
        assert access.authenticate(doomed.secret_key) is None
    assert access.authenticate(other.secret_key) is not None


def test_write_key_revoked_during_reload_stays_revoked(
    store: Store, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    access = AccessService(store)
    source = access.create_source("site")
    key = source.write_keys[0].write_key
    race = Race(store, monkeypatch)
    race.arm("write_keys.load", lambda: access.revoke_write_key(source.source_id, key))
    access.resolve_write_key(workspace.write_key)
    assert race.then is None
    assert access.resolve_write_key(key) is None
    assert access.resolve_write_key(workspace.write_key) is not None
