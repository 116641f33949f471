"""Creating and opening a workspace: a directory with one DuckDB file and optional unicx.toml."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.config import Settings
from unicx.errors import ConflictError, NotFoundError
from unicx.store import Store
from unicx.store.migrations import migrate


@dataclass(frozen=True)
class InitResult:
    workspace: str
    source_id: str
    write_key: str
    secret_key: str
    key_id: str


def private_files(settings: Settings) -> None:
    """Make every file this process writes from now on private (0600, folders 0700), and
    tighten the workspace folder and database of an existing workspace.

    The workspace holds personal data: the database, its WAL, exports, rejects and audience
    files. DuckDB creates its WAL and temporary files itself, with the process umask, so the
    umask is the one place that covers them all (a unicx process writes nothing meant to be
    shared)."""
    os.umask(0o077)
    for path, mode in ((settings.workspace, 0o700), (settings.db_path, 0o600)):
        if path.exists() and not path.is_symlink():
            path.chmod(mode)


def open_store(settings: Settings, *, create: bool = False) -> Store:
    """Open (and migrate) the workspace database; refuse a missing one unless creating."""
    if not create and not settings.db_path.exists():
        raise NotFoundError(
            f"no workspace at {settings.workspace} (create it with `unicx init --workspace DIR`)"
        )
    private_files(settings)
    store = Store(
        settings.db_path,
        log_params=settings.log_sql_params,
        checkpoint_wal_mb=settings.checkpoint_wal_mb,
    )
    migrate(store)
    return store


def is_initialized(store: Store) -> bool:
    with store.session() as s:
        row = s.fetchone(
            "SELECT value FROM workspace_meta WHERE key = 'initialized_at'", step="workspace.meta"
        )
    return row is not None


def init_workspace(settings: Settings, *, source_name: str = "default") -> InitResult:
    """Create the workspace, its first source and an admin secret key (shown once)."""
    settings.workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = open_store(settings, create=True)
    try:
        if is_initialized(store):
            raise ConflictError(f"workspace {settings.workspace} is already initialized")
        access = AccessService(store)
        source = access.create_source(source_name)
        key = access.create_api_key("admin (created by init)", Role.admin)
        with store.session() as s:
            s.execute(
                "INSERT INTO workspace_meta VALUES ('initialized_at', ?)",
                [datetime.now(UTC).isoformat()],
                step="workspace.mark_initialized",
            )
    finally:
        store.close()
    return InitResult(
        workspace=str(settings.workspace),
        source_id=source.source_id,
        write_key=source.write_keys[0].write_key,
        secret_key=key.secret_key,
        key_id=key.key_id,
    )
