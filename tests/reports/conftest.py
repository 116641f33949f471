"""The shop of tests/reports/data.py in a real workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Workspace
from tests.reports.data import load_shop
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def shop(workspace: Workspace) -> Iterator[Store]:
    store = open_store(workspace.settings)
    load_shop(store)
    yield store
    store.close()
