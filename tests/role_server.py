"""A real `unicx serve` holding a workspace, with one secret key per role made beforehand
(the server owns the DuckDB file once it runs), for attacks performed with the lowest role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import ServerProcess, bearer
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.config import load_settings
from unicx.workspace import init_workspace, open_store


@dataclass
class RoleServer:
    server: ServerProcess
    keys: dict[Role, str]

    def client(self, role: Role) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=bearer(self.keys[role]), timeout=60)

    def rss_kib(self) -> int:
        """The server process's resident memory (Linux /proc)."""
        assert self.server.proc is not None
        status = Path(f"/proc/{self.server.proc.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1])


@contextmanager
def role_server(path: Path, env: dict[str, str] | None = None) -> Iterator[RoleServer]:
    """A new workspace at ``path`` served with the ``UNICX_*`` settings in ``env``."""
    settings = load_settings(workspace=path)
    init_workspace(settings)
    store = open_store(settings)
    try:
        keys = {r: AccessService(store).create_api_key(r.value, r).secret_key for r in Role}
    finally:
        store.close()
    server = ServerProcess(path, env=env or {}).start(timeout=120)  # a busy machine starts slowly
    try:
        yield RoleServer(server, keys)
    finally:
        if server.proc is not None:
            server.stop()
