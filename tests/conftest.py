"""Fixtures shared by every test domain: a real workspace, an app, a real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import ServerProcess
from unicx.api import create_app
from unicx.config import Settings, load_settings
from unicx.workspace import InitResult, init_workspace


@dataclass
class Workspace:
    path: Path
    settings: Settings
    keys: InitResult

    @property
    def write_key(self) -> str:
        return self.keys.write_key

    @property
    def secret_key(self) -> str:
        return self.keys.secret_key


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    path = tmp_path / "ws"
    settings = load_settings(workspace=path)
    return Workspace(path, settings, init_workspace(settings))


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    """The app in-process (real DuckDB file, real writer thread)."""
    with TestClient(create_app(workspace.settings)) as c:
        yield c


@pytest.fixture
def server(workspace: Workspace) -> Iterator[ServerProcess]:
    """A real `unicx serve` subprocess on a free port."""
    proc = ServerProcess(workspace.path).start(timeout=90)  # a loaded machine starts slowly
    try:
        yield proc
    finally:
        if proc.proc is not None:
            proc.stop()
