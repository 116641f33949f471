"""A workspace with one dashboard user per role, and the whole server (API + dashboard)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from unicx.auth import users as users_module
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.web.app import create_app
from unicx.workspace import open_store

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Dashboard:
    client: TestClient
    passwords: dict[Role, str]

    def email(self, role: Role) -> str:
        return f"{role.value}@shop.example.com"

    def sign_in(self, role: Role) -> TestClient:
        """Sign ``role``'s user in on this client (through the login form, CSRF included)."""
        page = self.client.get("/login")
        token = csrf_of(page.text)
        res = self.client.post(
            "/login",
            data={"email": self.email(role), "password": self.passwords[role], "csrf_token": token},
            follow_redirects=False,
        )
        assert res.status_code == 303, res.text
        return self.client


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest cost: the same code paths, without ~125 ms per hash and per
    sign-in in every page test (tests/auth keeps the production parameters)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users_module, "_hasher", cheap)
    users_module._dummy_hash.cache_clear()


@pytest.fixture
def users(workspace: Workspace) -> dict[Role, str]:
    store = open_store(workspace.settings)
    try:
        service = UserService(store)
        return {r: service.create(f"{r.value}@shop.example.com", r).password for r in Role}
    finally:
        store.close()


@pytest.fixture
def dashboard(workspace: Workspace, users: dict[Role, str]) -> Iterator[Dashboard]:
    with TestClient(create_app(workspace.settings), follow_redirects=False) as client:
        yield Dashboard(client, users)
