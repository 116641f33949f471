"""Merges by decision (matching, review, a person) and their undoing.

A decided merge is also written as an ``identity_links`` row between the two profiles' most
trusted identifiers, so a rebuild reaches the same profiles. An unmerge moves the identifiers
the merge brought back to the profile they came from and blocks the pair, so the same evidence
(old events, a rebuild) cannot merge them again.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from unicx.config import Settings
from unicx.errors import ConflictError, NotFoundError
from unicx.identity.changes import refresh_derived
from unicx.identity.models import MergeRecord
from unicx.identity.sequential import Ident, Resolver
from unicx.store import Session, Store


def _profile_ids(session: Session, profile_id: str) -> list[Ident]:
    rows = session.fetchall(
        "SELECT id_type, id_value FROM identities WHERE profile_id = ?",
        [profile_id],
        step="identity.profile_ids",
    )
    return [(str(t), str(v)) for t, v in rows]


def _resolver(session: Session, settings: Settings) -> Resolver:
    r = Resolver(
        limits=dict(settings.identity_limits),
        priority=list(settings.identity_priority),
        now=datetime.now(UTC),
    )
    for a_type, a_value, b_type, b_value in session.fetchall(
        "SELECT a_type, a_value, b_type, b_value FROM identity_blocks", step="identity.blocks"
    ):
        r.add_block((a_type, a_value), (b_type, b_value))
    return r


def merge_profiles(
    store: Store,
    settings: Settings,
    winner_id: str,
    loser_id: str,
    *,
    reason: str,
    evidence: dict[str, Any] | None = None,
    actor: str = "system",
) -> str:
    """Merge ``loser_id`` into ``winner_id`` unless merge protection forbids it; returns the
    merge id. Raises NotFoundError for an unknown profile, ConflictError when refused."""
    if winner_id == loser_id:
        raise ConflictError("cannot merge a profile with itself")
    now = datetime.now(UTC)
    with store.profile_lock, store.session() as s, s.transaction():
        win, lose = _profile_ids(s, winner_id), _profile_ids(s, loser_id)
        for pid, ids in ((winner_id, win), (loser_id, lose)):
            if not ids:
                raise NotFoundError(f"no profile {pid}")
        r = _resolver(s, settings)
        r.load_profile(winner_id, now, win)
        r.load_profile(loser_id, now, lose)
        rule = r.refusal(winner_id, lose)
        if rule is not None:
            raise ConflictError(f"merge refused by merge protection ({rule})")
        a, b = min(win, key=r.rank), min(lose, key=r.rank)
        s.execute(
            "INSERT INTO identity_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [a[0], a[1], b[0], b[1], reason, (evidence or {}).get("probability"), now, actor],
            step="identity.link",
        )
        merge_id = str(uuid.uuid4())
        moved = json.dumps([{"type": t, "value": v} for t, v in lose])
        s.execute(
            "INSERT INTO identity_merges VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [merge_id, winner_id, loser_id, reason, json.dumps(evidence or {}), moved, now],
            step="identity.merge_record",
        )
        s.execute(
            "UPDATE identities SET profile_id = ? WHERE profile_id = ?",
            [winner_id, loser_id],
            step="identity.merge_move",
        )
        s.execute("DELETE FROM profiles WHERE profile_id = ?", [loser_id], step="identity.drop")
        s.execute(
            "UPDATE profiles SET updated_at = ? WHERE profile_id = ?",
            [now, winner_id],
            step="identity.merge_touch",
        )
        _audit(s, actor, "identity.merge", winner_id, {"merge_id": merge_id, "reason": reason})
        refresh_derived(s, settings, [winner_id, loser_id])
    return merge_id


def unmerge(store: Store, settings: Settings, merge_id: str, *, actor: str) -> MergeRecord:
    """Undo a merge: its moved identifiers go back to the profile they came from."""
    now = datetime.now(UTC)
    with store.profile_lock, store.session() as s, s.transaction():
        merge = get_merge(s, merge_id)
        if merge.undone_at is not None:
            raise ConflictError(f"merge {merge_id} was already undone at {merge.undone_at}")
        moved = [(m["type"], m["value"]) for m in merge.moved]
        owners = s.fetchall(
            "SELECT DISTINCT i.profile_id FROM identities i JOIN "
            "(SELECT unnest(?::VARCHAR[]) AS t, unnest(?::VARCHAR[]) AS v) m "
            "ON i.id_type = m.t AND i.id_value = m.v",
            [[t for t, _ in moved], [v for _, v in moved]],
            step="identity.unmerge_owners",
        )
        holder = str(owners[0][0]) if owners else merge.winner_id
        s.execute(
            "INSERT INTO profiles VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [merge.loser_id, now, now],
            step="identity.unmerge_profile",
        )
        s.execute(
            "UPDATE identities SET profile_id = $1 FROM (SELECT unnest($2::VARCHAR[]) AS t, "
            "unnest($3::VARCHAR[]) AS v) m "
            "WHERE identities.id_type = m.t AND identities.id_value = m.v",
            [merge.loser_id, [t for t, _ in moved], [v for _, v in moved]],
            step="identity.unmerge_move",
        )
        rest = _profile_ids(s, holder)
        r = _resolver(s, settings)
        if rest and moved:
            a, b = min(rest, key=r.rank), min(moved, key=r.rank)
            s.execute(
                "INSERT INTO identity_blocks VALUES (?, ?, ?, ?, ?, ?)",
                [a[0], a[1], b[0], b[1], f"unmerge {merge_id}", now],
                step="identity.block",
            )
        s.execute(
            "UPDATE identity_merges SET undone_at = ?, undone_by = ? WHERE merge_id = ?",
            [now, actor, merge_id],
            step="identity.unmerge_mark",
        )
        _audit(s, actor, "identity.unmerge", merge.loser_id, {"merge_id": merge_id})
        refresh_derived(s, settings, [holder, merge.loser_id])
        return get_merge(s, merge_id)


def get_merge(session: Session, merge_id: str) -> MergeRecord:
    rows = session.fetch_dicts(
        "SELECT * FROM identity_merges WHERE merge_id = ?", [merge_id], step="identity.get_merge"
    )
    if not rows:
        raise NotFoundError(f"no merge {merge_id}")
    row = rows[0]
    row["moved"] = json.loads(row["moved"])
    row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else None
    return MergeRecord(**row)


def _audit(session: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    session.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
        [str(uuid.uuid4()), datetime.now(UTC), actor, action, target, json.dumps(detail)],
        step="audit.record",
    )
