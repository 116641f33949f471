"""A key-cache reload racing a revocation must not cache the revoked key again. The race is
played deterministically: the revocation commits right after the reload has read the table and
before it stores what it read."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Workspace
from unicx.auth.models import Principal, Role
from unicx.auth.service import AccessService
from unicx.store import Store
from unicx.workspace import open_store


class RacingAccess(AccessService):
    """Runs ``race`` once, between a cache reload's read and its store."""

    race: Callable[[], object] | None = None

    def _after_read(self) -> None:
        race, self.race = self.race, None
        if race is not None:
            race()

    def _read_secret_keys(self) -> dict[str, Principal]:
        rows = super()._read_secret_keys()
        self._after_read()
        return rows

    def _read_write_keys(self) -> dict[str, str]:
        rows = super()._read_write_keys()
        self._after_read()
        return rows


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    yield s
    s.close()


def test_secret_key_revoked_during_reload_stays_revoked(store: Store) -> None:
    access = RacingAccess(store)
    doomed = access.create_api_key("doomed", Role.analyst)
    other = access.create_api_key("other", Role.analyst)
    access.race = lambda: access.revoke_api_key(doomed.key_id)
    assert access.authenticate(doomed.secret_key) is None
    assert access.race is None  # the race did run inside the reload
    for _ in range(2):  # and the cache holds the revocation
        assert access.authenticate(doomed.secret_key) is None
    assert access.authenticate(other.secret_key) is not None


def test_write_key_revoked_during_reload_stays_revoked(store: Store, workspace: Workspace) -> None:
    access = RacingAccess(store)
    source = access.create_source("site")
    key = source.write_keys[0].write_key
    access.race = lambda: access.revoke_write_key(source.source_id, key)
    assert access.resolve_write_key(key) is None
    assert access.race is None
    assert access.resolve_write_key(key) is None
    assert access.resolve_write_key(workspace.write_key) is not None
