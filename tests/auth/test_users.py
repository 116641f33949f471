"""Dashboard users on a real workspace: create, verify, disable, reset, and no hash shown."""

from __future__ import annotations

import pytest

from tests.conftest import Workspace
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.errors import ConflictError, NotFoundError, ValidationError
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Store:
    opened = open_store(workspace.settings)
    yield opened  # type: ignore[misc]
    opened.close()


def test_created_user_verifies_with_its_password_only(store: Store) -> None:
    users = UserService(store)
    created = users.create("  An.Nguyen@Example.COM ", Role.marketer)
    assert created.email == "an.nguyen@example.com" and len(created.password) >= 16
    verified = users.verify("AN.NGUYEN@example.com", created.password)
    assert verified is not None and verified.user_id == created.user_id
    assert verified.role is Role.marketer
    assert users.verify(created.email, created.password + "x") is None
    assert users.verify("nobody@example.com", created.password) is None


def test_disabled_user_never_verifies(store: Store) -> None:
    users = UserService(store)
    created = users.create("viewer@example.com", Role.viewer)
    disabled = users.disable("viewer@example.com")
    assert disabled.disabled_at is not None
    assert users.verify(created.email, created.password) is None


def test_reset_password_replaces_the_old_one(store: Store) -> None:
    users = UserService(store)
    created = users.create("analyst@example.com", Role.analyst)
    reset = users.reset_password("analyst@example.com")
    assert reset.password != created.password
    assert reset.password_changed_at >= created.password_changed_at
    assert users.verify(created.email, created.password) is None
    assert users.verify(created.email, reset.password) is not None


def test_duplicate_unknown_and_invalid_emails(store: Store) -> None:
    users = UserService(store)
    users.create("dup@example.com", Role.viewer)
    with pytest.raises(ConflictError):
        users.create("DUP@example.com", Role.admin)
    with pytest.raises(NotFoundError):
        users.disable("ghost@example.com")
    with pytest.raises(NotFoundError):
        users.reset_password("ghost@example.com")
    with pytest.raises(ValidationError) as bad:
        users.create("not an e-mail", Role.viewer)
    assert bad.value.issues[0].field == "email"


def test_listing_holds_no_hash(store: Store) -> None:
    users = UserService(store)
    users.create("someone@example.com", Role.analyst)
    listed = users.list_users()
    assert [u.email for u in listed] == ["someone@example.com"]  # the fixture made no user
    dumped = str([u.model_dump(mode="json") for u in listed])
    assert "argon2" not in dumped and "password_hash" not in dumped


def test_outdated_hash_is_rehashed_at_sign_in(store: Store) -> None:
    from argon2 import PasswordHasher

    users = UserService(store)
    created = users.create("old@example.com", Role.viewer)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(created.password)
    with store.session() as s:
        s.execute(
            "UPDATE dashboard_users SET password_hash = ? WHERE user_id = ?",
            [weak, created.user_id],
            step="test.weaken",
        )
    assert users.verify(created.email, created.password) is not None
    with store.session() as s:
        row = s.fetchone(
            "SELECT password_hash FROM dashboard_users WHERE user_id = ?",
            [created.user_id],
            step="test.hash",
        )
    assert row is not None and row[0] != weak
    assert users.verify(created.email, created.password) is not None
