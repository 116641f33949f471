"""Tombstones: what an erasure leaves of each identifier, a SHA-256 hash of
``"{id_type}:{normalized value}"`` (:func:`unicx.identity.models.tombstone_hash`).

A late event carrying an erased identifier must not bring the person back, so events received
since a point in time are checked against the tombstones before identity resolution and the
matching ones deleted. The check is set-based: user and anonymous ids are hashed in SQL; the
distinct email and phone strings of the window are normalized in Python (as identity
resolution does), hashed and joined.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from unicx.identity.models import tombstone_hash
from unicx.identity.normalize import normalize_email, normalize_phone
from unicx.privacy.registry import CONTACT_PATHS
from unicx.store import Session

# previousId of an alias is the anonymous id the person had before (as identity resolution
# reads it), so it is checked as one.
_ID_HASHES = (
    "sha256('user_id:' || user_id)",
    "sha256('anonymous_id:' || anonymous_id)",
    "sha256('anonymous_id:' || previous_id)",
)
_DEAD_ID = " OR ".join(f"{h} IN (SELECT id_hash FROM tombstones)" for h in _ID_HASHES)
_DEAD_CONTACT = " OR ".join(
    f"{path} IN (SELECT raw FROM px_dead_contact)"
    for paths in CONTACT_PATHS.values()
    for path in paths
)
_DROP_SQL = f"DELETE FROM events WHERE received_at >= ? AND ({_DEAD_ID} OR {_DEAD_CONTACT})"


def tombstoned(session: Session, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (id_type, normalized value) pairs among ``pairs`` that were erased."""
    if not pairs:
        return set()
    by_hash = {tombstone_hash(t, v): (t, v) for t, v in pairs}
    session.register("px_tomb_check", pa.table({"id_hash": pa.array(list(by_hash), pa.string())}))
    try:
        rows = session.fetchall(
            "SELECT t.id_hash FROM tombstones t JOIN px_tomb_check c ON c.id_hash = t.id_hash",
            step="privacy.tombstoned",
        )
    finally:
        session.unregister("px_tomb_check")
    return {by_hash[str(r[0])] for r in rows}


def drop_tombstoned_events(session: Session, *, received_since: datetime) -> int:
    """Delete events received at/after ``received_since`` whose user id, anonymous id, email or
    phone is tombstoned; returns how many. Run it before identity resolution."""
    if session.fetchone("SELECT 1 FROM tombstones LIMIT 1", step="privacy.any_tombstone") is None:
        return 0
    _dead_contacts(session, received_since)
    try:
        row = session.fetchone(_DROP_SQL, [received_since], step="privacy.drop_tombstoned")
    finally:
        session.unregister("px_dead_contact")
    return int(row[0]) if row else 0


def _dead_contacts(session: Session, since: datetime) -> None:
    """Register ``px_dead_contact(raw)``: raw email/phone strings of the window whose
    normalized form is tombstoned."""
    unions = " UNION ".join(
        f"SELECT '{t}' AS id_type, {p} AS raw FROM events WHERE received_at >= $1 "
        f"AND {p} IS NOT NULL AND length({p}) <= 256"
        for t, paths in CONTACT_PATHS.items()
        for p in paths
    )
    values = session.fetchall(unions, [since], step="privacy.window_contacts")
    raws: list[str] = []
    hashes: list[str] = []
    for id_type, raw in values:
        norm = normalize_email(raw) if id_type == "email" else normalize_phone(raw)
        if norm is not None:
            raws.append(str(raw))
            hashes.append(tombstone_hash(str(id_type), norm))
    candidates = pa.table(
        {"raw": pa.array(raws, pa.string()), "id_hash": pa.array(hashes, pa.string())}
    )
    session.register("px_contact_hashes", candidates)
    try:
        dead = session.execute(
            "SELECT DISTINCT c.raw FROM px_contact_hashes c "
            "JOIN tombstones t ON t.id_hash = c.id_hash",
            step="privacy.dead_contacts",
        ).to_arrow_table()
    finally:
        session.unregister("px_contact_hashes")
    session.register("px_dead_contact", dead)
