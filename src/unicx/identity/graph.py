"""Connected components of the identifier graph, in SQL.

Nodes are identifiers and existing profiles; every group (event or link) connects its
identifiers, and a known identifier connects to its current profile. Components come from
iterative label propagation (each node takes the smallest label among its neighbours) with a
pointer-jumping step, so the number of rounds grows with the log of a component's diameter
instead of the diameter itself; each round starts only from the nodes whose label changed.
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

# After the first round only nodes whose label dropped have anything new to tell their
# neighbours, so each round starts from that frontier instead of every edge's label: on a
# million-person graph most nodes settle in the first round or two and later rounds are cheap.
_FRONTIER_INIT_SQL = """
CREATE OR REPLACE TEMP TABLE g_front AS SELECT node, label FROM g_labels WHERE label <> node
"""

# A frontier node's label reaches its neighbours; a neighbour that learns a smaller label
# also jumps to its new label's own label (pointer jumping) and joins the next frontier.
_PROPAGATE_SQL = """
CREATE OR REPLACE TEMP TABLE g_front_next AS
WITH heard AS (
    SELECT e.a AS node, min(f.label) AS label
    FROM g_front f JOIN g_edges e ON e.b = f.node GROUP BY e.a
),
lower AS (
    SELECT h.node, h.label FROM heard h JOIN g_labels l USING (node) WHERE h.label < l.label
)
SELECT w.node, least(w.label, coalesce(j.label, w.label)) AS label
FROM lower w LEFT JOIN g_labels j ON j.node = w.label
"""

_APPLY_FRONT_SQL = """
UPDATE g_labels SET label = f.label FROM g_front_next f WHERE g_labels.node = f.node;
CREATE OR REPLACE TEMP TABLE g_front AS SELECT * FROM g_front_next;
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
    session.execute(_FRONTIER_INIT_SQL, step="identity.labels_frontier")
    for round_no in range(1, MAX_ROUNDS + 1):
        session.execute(_PROPAGATE_SQL, step="identity.labels_propagate")
        changed_row = session.fetchone(
            "SELECT count(*) FROM g_front_next", step="identity.labels_changed"
        )
        if not changed_row or int(changed_row[0]) == 0:
            log.debug("identity components converged after %d rounds", round_no)
            break
        session.execute(_APPLY_FRONT_SQL, step="identity.labels_apply")
    else:  # pragma: no cover - a component's diameter would have to exceed 2**100
        raise RuntimeError("identity label propagation did not converge")
    return pending
