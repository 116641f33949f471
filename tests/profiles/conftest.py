"""Fixtures of the profile tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Workspace
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    """The workspace's store (modules that need data in it define their own)."""
    s = open_store(workspace.settings)
    yield s
    s.close()
