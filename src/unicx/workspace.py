"""Creating and opening a workspace: a directory with one DuckDB file and optional unicx.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime

from unicx.assembly import migrate_workspace
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.auth.users import UserService, normalize_user_email
from unicx.config import CONFIG_FILENAME, Settings
from unicx.errors import ConfigError, ConflictError, NotFoundError
from unicx.store import Store


@dataclass(frozen=True)
class InitResult:
    workspace: str
    source_id: str
    write_key: str
    secret_key: str
    key_id: str
    consent_model: str
    dashboard_email: str | None = None  # the first dashboard user, when init made one
    dashboard_password: str | None = None


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
        threads=settings.duckdb_threads,
    )
    migrate_workspace(store)
    return store


def is_initialized(store: Store) -> bool:
    with store.session() as s:
        row = s.fetchone(
            "SELECT value FROM workspace_meta WHERE key = 'initialized_at'", step="workspace.meta"
        )
    return row is not None


CONSENT_MODELS = ("opt-in", "opt-out")
_OPT_IN_KEY = "personalization_opt_in"


def _configured_opt_in(settings: Settings) -> bool | None:
    path = settings.workspace / CONFIG_FILENAME
    if not path.is_file():
        return None
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get(_OPT_IN_KEY)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return value if isinstance(value, bool) else None


def configured_consent_model(settings: Settings) -> str | None:
    """The consent model unicx.toml already sets, if any."""
    have = _configured_opt_in(settings)
    return None if have is None else ("opt-in" if have else "opt-out")


def check_consent_model(settings: Settings, model: str | None) -> None:
    """Refuse a consent model that contradicts the workspace's unicx.toml (before creating)."""
    if model is not None and model not in CONSENT_MODELS:
        raise ConfigError(f"consent model {model!r}: one of {', '.join(CONSENT_MODELS)}")
    have = _configured_opt_in(settings)
    if model is not None and have is not None and have != (model == "opt-in"):
        raise ConfigError(
            f"{CONFIG_FILENAME} already sets {_OPT_IN_KEY} = {str(have).lower()}: "
            f"edit it instead of passing --consent-model {model}"
        )


def record_consent_model(settings: Settings, model: str) -> None:
    """Write the choice to unicx.toml (where every setting lives), with what it means."""
    if _configured_opt_in(settings) is not None:
        return
    opt_in = model == "opt-in"
    meaning = (
        "personalized only for people who granted the `personalization` consent"
        if opt_in
        else "personalized unless a person withdrew the `personalization` consent"
    )
    with (settings.workspace / CONFIG_FILENAME).open("a", encoding="utf-8") as f:
        f.write(
            f"\n# Consent model chosen at `unicx init` ({model}): {meaning}.\n"
            f"{_OPT_IN_KEY} = {str(opt_in).lower()}\n"
        )


DEFAULT_ADMIN_EMAIL = "admin@localhost"


def init_workspace(
    settings: Settings,
    *,
    source_name: str = "default",
    consent_model: str | None = None,
    admin_email: str | None = None,
) -> InitResult:
    """Create the workspace, its first source, an admin secret key and, given ``admin_email``,
    the first dashboard user, an admin (key and password shown once); ``consent_model``
    (opt-in/opt-out) is recorded in unicx.toml when given. ``unicx init`` always makes the user;
    library callers (the tests' thousands of workspaces) skip its deliberately slow hash."""
    check_consent_model(settings, consent_model)
    if admin_email is not None:
        normalize_user_email(admin_email)  # refuse a bad address before creating anything
    settings.workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = open_store(settings, create=True)
    try:
        if is_initialized(store):
            raise ConflictError(f"workspace {settings.workspace} is already initialized")
        access = AccessService(store)
        source = access.create_source(source_name)
        key = access.create_api_key("admin (created by init)", Role.admin)
        admin = None if admin_email is None else UserService(store).create(admin_email, Role.admin)
        with store.session() as s:
            s.execute(
                "INSERT INTO workspace_meta VALUES ('initialized_at', ?)",
                [datetime.now(UTC).isoformat()],
                step="workspace.mark_initialized",
            )
    finally:
        store.close()
    if consent_model is not None:
        record_consent_model(settings, consent_model)
    return InitResult(
        workspace=str(settings.workspace),
        source_id=source.source_id,
        write_key=source.write_keys[0].write_key,
        secret_key=key.secret_key,
        key_id=key.key_id,
        consent_model=consent_model or settings.consent_model,
        dashboard_email=None if admin is None else admin.email,
        dashboard_password=None if admin is None else admin.password,
    )
