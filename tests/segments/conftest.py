"""Fixtures of the segment tests: the hand-written five-person workspace (fixture.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Workspace
from tests.segments.fixture import build
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    build(s, workspace.settings)
    yield s
    s.close()


@pytest.fixture
def service(store: Store, workspace: Workspace) -> SegmentService:
    return SegmentService(store, workspace.settings)
