"""Per-workspace secrets (tracking links, keyed tombstones, person tokens) in ``workspace_meta``.

Each is 32 random bytes stored as hex under its own key, created once (by a migration or on
first use) and never changed, so a value read back from the table is cached for the process.
A value only just inserted is not cached: the caller's transaction may still roll back.
"""

from __future__ import annotations

import secrets
import threading

from unicx.store.store import Session

_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def create_secret(session: Session, name: str) -> bytes:
    """Insert a fresh secret under ``name`` unless one exists; returns the stored one."""
    session.execute(
        "INSERT INTO workspace_meta VALUES (?, ?) ON CONFLICT DO NOTHING",
        [name, secrets.token_hex(32)],
        step="secrets.create",
    )
    found = _read(session, name)
    assert found is not None  # just inserted, or there already
    return found


def stored_secret(session: Session, name: str) -> bytes | None:
    """The secret under ``name``, or None if the workspace has none yet."""
    key = (str(session.store.path), name)
    with _lock:
        if key in _cache:
            return _cache[key]
    value = _read(session, name)
    if value is not None:
        with _lock:
            _cache[key] = value
    return value


def _read(session: Session, name: str) -> bytes | None:
    row = session.fetchone(
        "SELECT value FROM workspace_meta WHERE key = ?", [name], step="secrets.read"
    )
    return bytes.fromhex(str(row[0])) if row is not None else None


def forget_cached() -> None:
    """Drop the process cache (tests that simulate a restart)."""
    with _lock:
        _cache.clear()
