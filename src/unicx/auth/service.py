"""Create, list, revoke and check credentials.

Write keys identify a source and are public in practice (they sit in browsers and apps), so
they are stored as issued and shown in listings, as Segment does. Secret keys grant reads and
administration, so only a SHA-256 hash is stored (they are 256 random bits: a slow hash adds
nothing) and the secret is shown once. Both are cached in memory for the hot path; every change
goes through this service, which keeps the caches true: a reload that read the table before a
revocation committed must not store what it read, or the revoked key would be cached again
until the next change (see :class:`Snapshot`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from unicx.auth.models import (
    ApiKeyCreated,
    ApiKeyPublic,
    Principal,
    Role,
    SourcePublic,
    WriteKeyPublic,
)
from unicx.errors import NotFoundError
from unicx.store import Session, Store

T = TypeVar("T")
RELOADS = 3
WRITE_KEY_PREFIX = "wk_"
SECRET_KEY_PREFIX = "sk_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class Snapshot(Generic[T]):
    """An in-memory copy of a table, dropped by :meth:`invalidate` after each change. Each
    invalidation bumps a generation; a reload keeps its result only if the generation did not
    move while it read, so a reload racing a revocation cannot bring the revoked key back."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._value: T | None = None
        self._generation = 0

    def get(self) -> T:
        cached = self._value
        if cached is not None:
            return cached
        for _ in range(RELOADS - 1):
            with self._lock:
                generation = self._generation
            value = self._load()
            with self._lock:
                if generation == self._generation:
                    self._value = value
                    return value
        # Changed under every reload: answer from one more read (it overlaps the changes),
        # cache nothing.
        return self._load()

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._value = None


class AccessService:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._write_keys = Snapshot(self._read_write_keys)
        self._secret_keys = Snapshot(self._read_secret_keys)
        self._ephemeral: dict[str, Principal] = {}

    # -- sources and write keys ---------------------------------------------------------

    def create_source(self, name: str) -> SourcePublic:
        source_id = "src_" + secrets.token_hex(8)
        with self._store.session() as s, s.transaction():
            s.execute(
                "INSERT INTO sources (source_id, name, created_at) VALUES (?, ?, ?)",
                [source_id, name, _now()],
                step="sources.create",
            )
            self._insert_write_key(s, source_id)
        self._invalidate()
        return self.get_source(source_id)

    def add_write_key(self, source_id: str) -> WriteKeyPublic:
        source = self.get_source(source_id)
        if source.revoked_at is not None:
            raise NotFoundError(f"source {source_id} is revoked")
        with self._store.session() as s:
            key_id = self._insert_write_key(s, source_id)
        self._invalidate()
        return next(k for k in self.get_source(source_id).write_keys if k.key_id == key_id)

    def _insert_write_key(self, s: Session, source_id: str) -> str:
        key_id = "wkid_" + secrets.token_hex(6)
        s.execute(
            "INSERT INTO write_keys (key_id, source_id, write_key, created_at) VALUES (?,?,?,?)",
            [key_id, source_id, WRITE_KEY_PREFIX + secrets.token_urlsafe(24), _now()],
            step="write_keys.create",
        )
        return key_id

    def list_sources(self, *, source_id: str | None = None) -> list[SourcePublic]:
        """All sources with their write keys, or only ``source_id``'s."""
        where, params = ("WHERE source_id = ?", [source_id]) if source_id else ("", [])
        with self._store.session() as s:
            sources = s.fetch_dicts(
                "SELECT source_id, name, created_at, revoked_at FROM sources "
                f"{where} ORDER BY created_at",
                params,
                step="sources.list",
            )
            keys = s.fetch_dicts(
                "SELECT key_id, source_id, write_key, created_at, revoked_at FROM write_keys "
                f"{where} ORDER BY created_at",
                params,
                step="write_keys.list",
            )
        by_source: dict[str, list[WriteKeyPublic]] = {}
        for k in keys:
            by_source.setdefault(k.pop("source_id"), []).append(WriteKeyPublic(**k))
        return [
            SourcePublic(**src, write_keys=by_source.get(src["source_id"], [])) for src in sources
        ]

    def get_source(self, source_id: str) -> SourcePublic:
        found = self.list_sources(source_id=source_id)
        if not found:
            raise NotFoundError(f"no source {source_id!r}")
        return found[0]

    def revoke_source(self, source_id: str) -> SourcePublic:
        self.get_source(source_id)
        now = _now()
        with self._store.session() as s, s.transaction():
            s.execute(
                "UPDATE sources SET revoked_at = coalesce(revoked_at, ?) WHERE source_id = ?",
                [now, source_id],
                step="sources.revoke",
            )
            s.execute(
                "UPDATE write_keys SET revoked_at = coalesce(revoked_at, ?) WHERE source_id = ?",
                [now, source_id],
                step="write_keys.revoke_all",
            )
        self._invalidate()
        return self.get_source(source_id)

    def revoke_write_key(self, source_id: str, key_id_or_key: str) -> WriteKeyPublic:
        """Revoke one write key of ``source_id``, named by its id or by the key itself."""
        with self._store.session() as s:
            row = s.fetchone(
                "UPDATE write_keys SET revoked_at = coalesce(revoked_at, ?) "
                "WHERE source_id = ? AND (key_id = ? OR write_key = ?) "
                "RETURNING key_id, write_key, created_at, revoked_at",
                [_now(), source_id, key_id_or_key, key_id_or_key],
                step="write_keys.revoke",
            )
        if row is None:
            raise NotFoundError(f"source {source_id} has no write key {key_id_or_key}")
        self._invalidate()
        return WriteKeyPublic(key_id=row[0], write_key=row[1], created_at=row[2], revoked_at=row[3])

    def resolve_write_key(self, write_key: str) -> str | None:
        """Source id of an active write key, else None. Called on every ingest request."""
        return self._write_keys.get().get(write_key)

    def _read_write_keys(self) -> dict[str, str]:
        with self._store.session() as s:
            rows = s.fetchall(
                "SELECT k.write_key, k.source_id FROM write_keys k JOIN sources s USING "
                "(source_id) WHERE k.revoked_at IS NULL AND s.revoked_at IS NULL",
                step="write_keys.load",
            )
        return {str(k): str(src) for k, src in rows}

    # -- secret API keys ----------------------------------------------------------------

    def create_api_key(self, name: str, role: Role) -> ApiKeyCreated:
        secret = SECRET_KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = "key_" + secrets.token_hex(6)
        created = _now()
        with self._store.session() as s:
            s.execute(
                "INSERT INTO api_keys (key_id, name, role, prefix, key_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [key_id, name, role.value, secret[:10], hash_secret(secret), created],
                step="api_keys.create",
            )
        self._invalidate()
        return ApiKeyCreated(
            key_id=key_id,
            name=name,
            role=role,
            prefix=secret[:10],
            created_at=created,
            secret_key=secret,
        )

    def list_api_keys(self) -> list[ApiKeyPublic]:
        with self._store.session() as s:
            rows = s.fetch_dicts(
                "SELECT key_id, name, role, prefix, created_at, revoked_at FROM api_keys "
                "ORDER BY created_at",
                step="api_keys.list",
            )
        return [ApiKeyPublic(**r) for r in rows]

    def revoke_api_key(self, key_id: str) -> ApiKeyPublic:
        with self._store.session() as s:
            row = s.fetchone(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ? "
                "RETURNING key_id, name, role, prefix, created_at, revoked_at",
                [_now(), key_id],
                step="api_keys.revoke",
            )
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}")
        self._invalidate()
        names = ("key_id", "name", "role", "prefix", "created_at", "revoked_at")
        return ApiKeyPublic(**dict(zip(names, row, strict=True)))

    def authenticate(self, secret: str) -> Principal | None:
        """The principal of an active secret key, else None."""
        digest = hash_secret(secret)
        if digest in self._ephemeral:
            return self._ephemeral[digest]
        return self._secret_keys.get().get(digest)

    def _read_secret_keys(self) -> dict[str, Principal]:
        with self._store.session() as s:
            rows = s.fetchall(
                "SELECT key_hash, key_id, name, role FROM api_keys WHERE revoked_at IS NULL",
                step="api_keys.load",
            )
        return {str(h): Principal(key_id=k, name=n, role=Role(r)) for h, k, n, r in rows}

    def issue_ephemeral_admin(self) -> str:
        """A process-lifetime admin secret for the local CLI; never stored in the database."""
        secret = SECRET_KEY_PREFIX + "local_" + secrets.token_urlsafe(32)
        self._ephemeral[hash_secret(secret)] = Principal(
            key_id="local", name="local cli", role=Role.admin
        )
        return secret

    def _invalidate(self) -> None:
        self._write_keys.invalidate()
        self._secret_keys.invalidate()
