"""Decide each component at once in SQL when merge protection allows it.

A component is accepted when, after uniting its new identifiers with every identifier of the
profiles it touches, no type exceeds its limit and no blocked pair (from an unmerge) ends up in
one profile. Accepted components become one profile (the oldest existing one wins, or a new
one); the rest go to the sequential resolver, which replays their events in time order.
"""

from __future__ import annotations

import pyarrow as pa

from unicx.config import Settings
from unicx.identity.models import DEFAULT_CUSTOM_LIMIT
from unicx.store import Session

_COMPONENT_TABLES_SQL = """
CREATE OR REPLACE TEMP TABLE comp_ids AS
SELECT l.label AS comp, n.id_type, n.id_value, n.profile_id, n.first_ts, n.last_ts
FROM g_nodes n JOIN g_labels l ON l.node = n.nid;
CREATE OR REPLACE TEMP TABLE comp_profiles AS
SELECT DISTINCT c.comp, c.profile_id, p.created_at
FROM comp_ids c JOIN profiles p ON p.profile_id = c.profile_id;
CREATE OR REPLACE TEMP TABLE comp_all_ids AS
SELECT comp, id_type, id_value FROM comp_ids WHERE profile_id IS NULL
UNION ALL -- disjoint: the first part is unknown identifiers, the second known ones
SELECT cp.comp, i.id_type, i.id_value
FROM comp_profiles cp JOIN identities i ON i.profile_id = cp.profile_id;
"""

_BAD_SQL = """
CREATE OR REPLACE TEMP TABLE comp_bad AS
SELECT comp FROM (
    SELECT a.comp FROM comp_all_ids a
    LEFT JOIN id_limits m ON m.id_type = a.id_type
    GROUP BY a.comp, a.id_type
    HAVING count(*) > coalesce(any_value(m.lim), ?)
    UNION
    SELECT a.comp FROM identity_blocks b
    JOIN comp_all_ids a ON a.id_type = b.a_type AND a.id_value = b.a_value
    JOIN comp_all_ids z ON z.id_type = b.b_type AND z.id_value = b.b_value AND z.comp = a.comp
)
"""

_WINNERS_SQL = """
CREATE OR REPLACE TEMP TABLE comp_winner AS
SELECT comp, first(profile_id ORDER BY created_at, profile_id) AS winner, false AS is_new
FROM comp_profiles ANTI JOIN comp_bad USING (comp) GROUP BY comp
UNION ALL
SELECT DISTINCT comp, NULL, true FROM comp_ids
ANTI JOIN comp_bad USING (comp) ANTI JOIN comp_profiles USING (comp);
UPDATE comp_winner SET winner = gen_random_uuid()::VARCHAR WHERE is_new;
CREATE OR REPLACE TEMP TABLE comp_losers AS
SELECT cp.comp, cp.profile_id AS loser, w.winner
FROM comp_profiles cp JOIN comp_winner w USING (comp) WHERE cp.profile_id <> w.winner;
"""

# Recorded only when there are losers: the correlated lists cost seconds on a million-profile
# rebuild even with nothing to record.
_MERGES_SQL = """
INSERT INTO identity_merges
SELECT gen_random_uuid()::VARCHAR, l.winner, l.loser, 'identifier',
       to_json({'linked_by': (SELECT list({'type': c.id_type, 'value': c.id_value})[1:20]
                               FROM comp_ids c WHERE c.comp = l.comp)}),
       (SELECT to_json(list({'type': i.id_type, 'value': i.id_value}))
        FROM identities i WHERE i.profile_id = l.loser),
       now(), NULL, NULL
FROM comp_losers l;
UPDATE identities SET profile_id = l.winner FROM comp_losers l
WHERE identities.profile_id = l.loser;
"""

_APPLY_SQL = """
INSERT INTO profiles SELECT winner, now(), now() FROM comp_winner WHERE is_new;
INSERT INTO identities
SELECT c.id_type, c.id_value, w.winner, c.first_ts, c.last_ts
FROM comp_ids c JOIN comp_winner w USING (comp) WHERE c.profile_id IS NULL;
DELETE FROM profiles WHERE profile_id IN (SELECT loser FROM comp_losers);
UPDATE profiles SET updated_at = now()
WHERE profile_id IN (SELECT winner FROM comp_winner WHERE NOT is_new);
"""


def register_limits(session: Session, settings: Settings) -> None:
    names = list(settings.identity_limits)
    session.register(
        "id_limits",
        pa.table(
            {
                "id_type": pa.array(names, pa.string()),
                "lim": pa.array([settings.identity_limits[n] for n in names], pa.int64()),
            }
        ),
    )


def accept_components(session: Session, settings: Settings) -> tuple[int, list[str], list[int]]:
    """Apply every component that breaks no rule. Returns (merges, touched profile ids, bad
    component labels left for the sequential resolver)."""
    session.execute(_COMPONENT_TABLES_SQL, step="identity.components")
    register_limits(session, settings)
    try:
        session.execute(_BAD_SQL, [DEFAULT_CUSTOM_LIMIT], step="identity.components_bad")
    finally:
        session.unregister("id_limits")
    session.execute(_WINNERS_SQL, step="identity.components_winners")
    row = session.fetchone("SELECT count(*) FROM comp_losers", step="identity.merge_count")
    merges = int(row[0]) if row else 0
    touched = [
        r[0]
        for r in session.fetchall(
            "SELECT winner FROM comp_winner UNION SELECT loser FROM comp_losers",
            step="identity.components_touched",
        )
    ]
    if merges:
        session.execute(_MERGES_SQL, step="identity.components_merges")
    session.execute(_APPLY_SQL, step="identity.components_apply")
    bad = [int(r[0]) for r in session.fetchall("SELECT comp FROM comp_bad", step="identity.bad")]
    return merges, touched, bad
