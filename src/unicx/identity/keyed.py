"""Keyed hashes of identifiers: tombstones are HMAC-SHA256 with a per-workspace secret.

A plain SHA-256 of a phone number is reversed in minutes by hashing every number of the plan;
with a secret key that needs the key too. The secret is made by migration 8 (so at ``unicx
init`` and once for existing workspaces) and kept in ``workspace_meta`` beside the tracking
secret.

The keyed value is ``HMAC(secret, sha256_hex("<type>:<normalized value>"))``: HMAC over the
old unkeyed digest, so migration 8 re-keys the tombstones of existing workspaces without the
values. DuckDB has no HMAC function; SQL computes it from ``sha256`` over BLOBs with the inner
and outer pads passed as parameters (never in the SQL text, which may be logged).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from unicx.store import Session
from unicx.store.secrets import create_secret, stored_secret

SECRET_KEY: Final = "privacy_secret"
_BLOCK: Final = 64  # SHA-256 block size: the key is padded to it (RFC 2104)


@dataclass(frozen=True)
class Pads:
    """The key as HMAC uses it: ``(key ^ 0x36…)`` and ``(key ^ 0x5c…)``."""

    key: bytes
    inner: bytes
    outer: bytes

    @classmethod
    def of(cls, key: bytes) -> Pads:
        padded = key.ljust(_BLOCK, b"\0")
        return cls(
            key=key,
            inner=bytes(b ^ 0x36 for b in padded),
            outer=bytes(b ^ 0x5C for b in padded),
        )


def hmac_sql(message: str) -> str:
    """SQL for the hex HMAC-SHA256 of the VARCHAR ``message``; binds (outer pad, inner pad)."""
    return f"sha256(?::BLOB || unhex(sha256(?::BLOB || encode({message}))))"


TOMBSTONE_SQL: Final = hmac_sql("sha256({t} || ':' || {v})")


def tombstone_sql(id_type: str, id_value: str) -> str:
    """SQL for the tombstone of the identifier in columns ``id_type``/``id_value``."""
    return TOMBSTONE_SQL.format(t=id_type, v=id_value)


def tombstone_hash(pads: Pads, id_type: str, id_value: str) -> str:
    """The same value in Python (tests, one-off lookups)."""
    inner = hashlib.sha256(f"{id_type}:{id_value}".encode()).hexdigest()
    return hmac.new(pads.key, inner.encode(), hashlib.sha256).hexdigest()


def pads(session: Session) -> Pads:
    """The workspace's pads; the secret must exist (migration 8 creates it)."""
    key = stored_secret(session, SECRET_KEY)
    if key is None:
        raise RuntimeError("workspace has no privacy secret (migration 8 not applied)")
    return Pads.of(key)


def params(p: Pads) -> list[bytes]:
    """The parameters :func:`hmac_sql` binds, in order."""
    return [p.outer, p.inner]


def migrate_keyed_tombstones(session: Session) -> None:
    """Migration 8: make the secret and re-key existing (unkeyed SHA-256) tombstones."""
    key = Pads.of(create_secret(session, SECRET_KEY))
    session.execute(
        "CREATE OR REPLACE TEMP TABLE rekeyed AS SELECT * REPLACE ("
        + hmac_sql("id_hash")
        + " AS id_hash) FROM tombstones",
        params(key),
        step="privacy.rekey",
    )
    session.execute("DELETE FROM tombstones", step="privacy.rekey_clear")
    session.execute("INSERT INTO tombstones SELECT * FROM rekeyed", step="privacy.rekey_fill")
    session.execute("DROP TABLE rekeyed", step="privacy.rekey_drop")
