"""Connected components of the identifier graph, in SQL.

Nodes are identifiers and existing profiles; every group (event or link) connects its
identifiers, and a known identifier connects to its current profile. Components come from
iterative label propagation (each node takes the smallest label among its neighbours) with a
pointer-jumping step, so the number of rounds grows with the log of a component's diameter
instead of the diameter itself.
"""

from __future__ import annotations

import logging

from unicx.store import Session

log = logging.getLogger(__name__)

MAX_ROUNDS = 100

# Groups whose identifiers are all known and already in one profile change nothing but
# last_seen: this is the realtime fast path (one indexed lookup per identifier).
_KNOWN_SQL = """
CREATE OR REPLACE TEMP TABLE obs_k AS
SELECT o.grp, o.ts, o.id_type, o.id_value, i.profile_id
FROM obs o LEFT JOIN identities i ON i.id_type = o.id_type AND i.id_value = o.id_value
"""

_PENDING_SQL = """
CREATE OR REPLACE TEMP TABLE pend AS
SELECT grp FROM obs_k GROUP BY grp
HAVING count(*) FILTER (WHERE profile_id IS NULL) > 0 OR count(DISTINCT profile_id) > 1
"""

# Nodes are numbered once (identifiers from 1 up, profiles below 0) so propagation joins
# integers rather than strings: several times faster on millions of edges.
_NODES_SQL = """
CREATE OR REPLACE TEMP TABLE g_nodes AS
SELECT row_number() OVER () AS nid, id_type, id_value, profile_id FROM (
    SELECT DISTINCT k.id_type, k.id_value, k.profile_id FROM obs_k k SEMI JOIN pend p USING (grp)
);
CREATE OR REPLACE TEMP TABLE g_pnodes AS
SELECT -row_number() OVER () AS pnid, profile_id FROM (
    SELECT DISTINCT profile_id FROM g_nodes WHERE profile_id IS NOT NULL
);
CREATE OR REPLACE TEMP TABLE g_members AS
SELECT k.grp, n.nid FROM obs_k k SEMI JOIN pend p USING (grp)
JOIN g_nodes n ON n.id_type = k.id_type AND n.id_value = k.id_value;
"""

_EDGES_SQL = """
CREATE OR REPLACE TEMP TABLE g_edges AS
WITH reps AS (SELECT grp, min(nid) AS rep FROM g_members GROUP BY grp),
one_way AS (
    SELECT m.nid AS a, r.rep AS b FROM g_members m JOIN reps r USING (grp) WHERE m.nid <> r.rep
    UNION ALL
    SELECT n.nid, p.pnid FROM g_nodes n JOIN g_pnodes p USING (profile_id)
)
SELECT a, b FROM one_way UNION ALL SELECT b, a FROM one_way
"""

_INIT_LABELS_SQL = """
CREATE OR REPLACE TEMP TABLE g_labels AS
SELECT node, min(label) AS label FROM (
    SELECT a AS node, least(a, b) AS label FROM g_edges
    UNION ALL SELECT nid, nid FROM g_nodes
) GROUP BY node
"""

_PROPAGATE_SQL = """
CREATE OR REPLACE TEMP TABLE g_next AS
WITH spread AS (
    SELECT e.a AS node, min(l.label) AS label
    FROM g_edges e JOIN g_labels l ON l.node = e.b GROUP BY e.a
),
stepped AS (
    SELECT l.node, least(l.label, coalesce(s.label, l.label)) AS label
    FROM g_labels l LEFT JOIN spread s USING (node)
)
SELECT t.node, least(t.label, coalesce(j.label, t.label)) AS label
FROM stepped t LEFT JOIN g_labels j ON j.node = t.label
"""

_CHANGED_SQL = """
SELECT count(*) FROM g_next n JOIN g_labels l USING (node) WHERE n.label <> l.label
"""


def find_components(session: Session) -> int:
    """Build ``obs_k`` and ``pend``; label ``g_labels(node, label)`` for the pending groups.

    Returns the number of pending groups (0: everything was already known).
    """
    session.execute(_KNOWN_SQL, step="identity.known")
    session.execute(_PENDING_SQL, step="identity.pending")
    row = session.fetchone("SELECT count(*) FROM pend", step="identity.pending_count")
    pending = int(row[0]) if row else 0
    if not pending:
        return 0
    session.execute(_NODES_SQL, step="identity.nodes")
    session.execute(_EDGES_SQL, step="identity.edges")
    session.execute(_INIT_LABELS_SQL, step="identity.labels_init")
    for round_no in range(1, MAX_ROUNDS + 1):
        session.execute(_PROPAGATE_SQL, step="identity.labels_propagate")
        changed_row = session.fetchone(_CHANGED_SQL, step="identity.labels_changed")
        session.execute(
            "CREATE OR REPLACE TEMP TABLE g_labels AS SELECT * FROM g_next",
            step="identity.labels_swap",
        )
        if not changed_row or int(changed_row[0]) == 0:
            log.debug("identity components converged after %d rounds", round_no)
            break
    else:  # pragma: no cover - a component's diameter would have to exceed 2**100
        raise RuntimeError("identity label propagation did not converge")
    return pending
