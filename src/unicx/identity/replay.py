"""Load refused components into the sequential resolver and write back what it decided."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pyarrow as pa

from unicx.config import Settings
from unicx.identity.sequential import Conflict, Ident, Resolver
from unicx.store import Session


def replay_components(
    session: Session, settings: Settings, bad: list[int]
) -> tuple[list[str], int]:
    """Resolve the refused components group by group; returns (profile ids touched, number of
    conflicts met)."""
    if not bad:
        return [], 0
    session.register("bad_comps", pa.table({"comp": pa.array(bad, pa.int64())}))
    try:
        resolver = _load(session, settings)
        groups = session.fetchall(
            """
            WITH bad_nodes AS MATERIALIZED (
                SELECT l.node FROM g_labels l SEMI JOIN bad_comps b ON b.comp = l.label
            ),
            bad_groups AS MATERIALIZED (
                SELECT DISTINCT m.grp FROM g_members m SEMI JOIN bad_nodes n ON n.node = m.nid
            )
            SELECT p.grp, min(p.ts) AS ts, list((p.id_type, p.id_value)) AS ids
            FROM obs_p p SEMI JOIN bad_groups g USING (grp)
            GROUP BY p.grp ORDER BY ts, p.grp
            """,
            step="identity.replay_groups",
        )
    finally:
        session.unregister("bad_comps")
    for _, ts, ids in groups:
        resolver.apply_group(_idents(ids), ts)
    return _write_back(session, resolver), len(resolver.conflicts)


def _idents(ids: list[tuple[str, str]]) -> list[Ident]:
    # DuckDB returns unnamed structs (row values) as tuples.
    return [(str(x[0]), str(x[1])) for x in ids]


def _load(session: Session, settings: Settings) -> Resolver:
    resolver = Resolver(
        limits=dict(settings.identity_limits),
        priority=list(settings.identity_priority),
        now=datetime.now(UTC),
    )
    rows = session.fetchall(
        """
        SELECT p.profile_id, p.created_at, list((i.id_type, i.id_value))
        FROM profiles p JOIN identities i USING (profile_id)
        WHERE p.profile_id IN (
            SELECT cp.profile_id FROM comp_profiles cp SEMI JOIN bad_comps b USING (comp))
        GROUP BY ALL
        """,
        step="identity.replay_profiles",
    )
    for profile_id, created_at, ids in rows:
        resolver.load_profile(profile_id, created_at, _idents(ids))
    # Blocks come only from unmerges and rejected reviews: few enough to load whole.
    blocks = session.fetchall(
        "SELECT a_type, a_value, b_type, b_value FROM identity_blocks", step="identity.blocks"
    )
    for a_type, a_value, b_type, b_value in blocks:
        resolver.add_block((a_type, a_value), (b_type, b_value))
    return resolver


def _write_back(session: Session, r: Resolver) -> list[str]:
    now = r.now
    owners = pa.table(
        {
            "id_type": pa.array([i[0] for i in r.owner], pa.string()),
            "id_value": pa.array([i[1] for i in r.owner], pa.string()),
            "profile_id": pa.array(list(r.owner.values()), pa.string()),
            "first_ts": pa.array(
                [r.seen.get(i, (now, now))[0] for i in r.owner], pa.timestamp("us", "UTC")
            ),
            "last_ts": pa.array(
                [r.seen.get(i, (now, now))[1] for i in r.owner], pa.timestamp("us", "UTC")
            ),
        }
    )
    session.register("replay_owner", owners)
    session.register("replay_new", pa.table({"profile_id": pa.array(sorted(r.new_profiles))}))
    try:
        session.execute(
            "INSERT INTO profiles SELECT profile_id, ?, ? FROM replay_new",
            [now, now],
            step="identity.replay_new",
        )
        session.execute(
            """
            UPDATE identities SET profile_id = o.profile_id,
                first_seen = least(identities.first_seen, o.first_ts),
                last_seen = greatest(identities.last_seen, o.last_ts)
            FROM replay_owner o
            WHERE identities.id_type = o.id_type AND identities.id_value = o.id_value;
            INSERT INTO identities
            SELECT o.id_type, o.id_value, o.profile_id, o.first_ts, o.last_ts FROM replay_owner o
            ANTI JOIN identities i ON i.id_type = o.id_type AND i.id_value = o.id_value;
            """,
            step="identity.replay_owners",
        )
    finally:
        session.unregister("replay_owner")
        session.unregister("replay_new")
    for m in r.merges:
        moved = json.dumps([{"type": t, "value": v} for t, v in m.moved])
        session.execute(
            "INSERT INTO identity_merges VALUES "
            "(gen_random_uuid()::VARCHAR, ?, ?, 'identifier', ?, ?, ?, NULL, NULL)",
            [m.winner, m.loser, json.dumps(m.evidence), moved, now],
            step="identity.replay_merge",
        )
        session.execute(
            "DELETE FROM profiles WHERE profile_id = ?", [m.loser], step="identity.replay_drop"
        )
    _record_conflicts(session, r)
    touched = set(r.members) | {m.loser for m in r.merges}
    return sorted(touched)


def _record_conflicts(session: Session, r: Resolver) -> None:
    # One row per (identifier, profiles, rule); repeats only raise the count and last_seen.
    merged: dict[str, tuple[Conflict, datetime, datetime, int]] = {}
    for c in r.conflicts:
        key = "|".join((c.ident[0], c.ident[1], c.profile_id, c.other_profile_id, c.rule))
        cid = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        _, first, last, n = merged.get(cid, (c, c.at, c.at, 0))
        merged[cid] = (c, min(first, c.at), max(last, c.at), n + 1)
    if not merged:
        return
    rows = [(cid, *vals) for cid, vals in merged.items()]
    table = pa.table(
        {
            "conflict_id": [r[0] for r in rows],
            "id_type": [r[1].ident[0] for r in rows],
            "id_value": [r[1].ident[1] for r in rows],
            "profile_id": [r[1].profile_id for r in rows],
            "other_profile_id": [r[1].other_profile_id for r in rows],
            "rule": [r[1].rule for r in rows],
            "first_seen": pa.array([r[2] for r in rows], pa.timestamp("us", "UTC")),
            "last_seen": pa.array([r[3] for r in rows], pa.timestamp("us", "UTC")),
            "occurrences": pa.array([r[4] for r in rows], pa.int64()),
        }
    )
    session.register("new_conflicts", table)
    try:
        session.execute(
            """
            INSERT INTO identity_conflicts
            SELECT conflict_id, id_type, id_value, profile_id, other_profile_id, rule, NULL,
                   first_seen, last_seen, occurrences, 'open' FROM new_conflicts
            ON CONFLICT (conflict_id) DO UPDATE SET
                occurrences = identity_conflicts.occurrences + excluded.occurrences,
                last_seen = greatest(identity_conflicts.last_seen, excluded.last_seen)
            """,
            step="identity.conflicts",
        )
    finally:
        session.unregister("new_conflicts")
