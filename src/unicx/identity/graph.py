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

# The observations of the other ("pending") groups are copied once so every later step reads
# only them. min <> max is count(DISTINCT) > 1 without the distinct hash table.
_PENDING_SQL = """
CREATE OR REPLACE TEMP TABLE obs_p AS
SELECT k.* FROM obs_k k SEMI JOIN (
    SELECT grp FROM obs_k GROUP BY grp
    HAVING bool_or(profile_id IS NULL) OR min(profile_id) <> max(profile_id)
) p USING (grp)
"""

# On a rebuild nothing is known yet: every group is pending, so the observations become the
# pending ones as they are (no copy), and the identities join and the pending test are skipped.
_FRESH_SQL = """
ALTER TABLE obs RENAME TO obs_p;
ALTER TABLE obs_p ADD COLUMN profile_id VARCHAR;
"""

# Nodes are numbered once (identifiers from 1 up, profiles below 0) so propagation joins
# integers rather than strings: several times faster on millions of edges. Each identifier's
# first/last time and current profile travel with its node, so later steps join on nid.
_NODES_SQL = """
CREATE OR REPLACE TEMP TABLE g_nodes AS
SELECT row_number() OVER () AS nid, id_type, id_value, profile_id, first_ts, last_ts FROM (
    SELECT id_type, id_value, any_value(profile_id) AS profile_id,
           min(ts) AS first_ts, max(ts) AS last_ts
    FROM obs_p GROUP BY id_type, id_value
);
CREATE OR REPLACE TEMP TABLE g_pnodes AS
SELECT -row_number() OVER () AS pnid, profile_id FROM (
    SELECT DISTINCT profile_id FROM g_nodes WHERE profile_id IS NOT NULL
);
CREATE OR REPLACE TEMP TABLE g_members AS
SELECT p.grp, n.nid FROM obs_p p
JOIN g_nodes n ON n.id_type = p.id_type AND n.id_value = p.id_value;
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

# After that first round most components already carry one label. Contracting the graph
# (each node replaced by its label, edges inside a label dropped) leaves only the unsettled
# part (about half the nodes, a fifth of the edges) for the remaining rounds. Every node's
# label is a neighbour in the same component, so the contracted graph has the same
# components. Two statements, not one with g_labels joined twice: inside a transaction that
# self-join never finished (DuckDB 1.5).
_CONTRACT_SQL = """
CREATE OR REPLACE TEMP TABLE g_half AS
SELECT l.label AS a, e.b FROM g_edges e JOIN g_labels l ON l.node = e.a;
CREATE OR REPLACE TEMP TABLE g_cedges AS
SELECT DISTINCT h.a, l.label AS b FROM g_half h JOIN g_labels l ON l.node = h.b
WHERE h.a <> l.label;
DROP TABLE g_half;
CREATE OR REPLACE TEMP TABLE g_clabels AS
SELECT a AS node, least(a, min(b)) AS label FROM g_cedges GROUP BY a;
"""

# Later rounds start only from the nodes whose label dropped in the previous one (the
# frontier): the others have nothing new to tell their neighbours.
_FRONTIER_INIT_SQL = """
CREATE OR REPLACE TEMP TABLE g_front AS SELECT node, label FROM g_clabels WHERE label <> node
"""

# A frontier node's label reaches its neighbours; a neighbour that learns a smaller label
# also jumps to its new label's own label (pointer jumping) and joins the next frontier.
_PROPAGATE_SQL = """
CREATE OR REPLACE TEMP TABLE g_front_next AS
WITH heard AS (
    SELECT e.a AS node, min(f.label) AS label
    FROM g_front f JOIN g_cedges e ON e.b = f.node GROUP BY e.a
),
lower AS (
    SELECT h.node, h.label FROM heard h JOIN g_clabels l USING (node) WHERE h.label < l.label
)
SELECT w.node, least(w.label, coalesce(j.label, w.label)) AS label
FROM lower w LEFT JOIN g_clabels j ON j.node = w.label
"""

_APPLY_FRONT_SQL = """
UPDATE g_clabels SET label = f.label FROM g_front_next f WHERE g_clabels.node = f.node;
CREATE OR REPLACE TEMP TABLE g_front AS SELECT * FROM g_front_next;
"""

# Back from the contracted graph: each node takes its label's final label.
_EXPAND_SQL = """
CREATE OR REPLACE TEMP TABLE g_labels AS
SELECT l.node, coalesce(c.label, l.label) AS label
FROM g_labels l LEFT JOIN g_clabels c ON c.node = l.label
"""


def find_components(session: Session, *, fresh_groups: int | None = None) -> int:
    """Build ``obs_p`` (and ``obs_k``); label ``g_labels(node, label)`` for the pending groups.

    ``fresh_groups``: on a rebuild no identifier is known yet and all these groups are pending.
    Returns the number of pending groups (0: everything was already known).
    """
    if fresh_groups is not None:
        session.execute(_FRESH_SQL, step="identity.fresh")
        pending = fresh_groups
    else:
        session.execute(_KNOWN_SQL, step="identity.known")
        session.execute(_PENDING_SQL, step="identity.pending")
        row = session.fetchone(
            "SELECT count(DISTINCT grp) FROM obs_p", step="identity.pending_count"
        )
        pending = int(row[0]) if row else 0
    if not pending:
        return 0
    session.execute(_NODES_SQL, step="identity.nodes")
    session.execute(_EDGES_SQL, step="identity.edges")
    session.execute(_INIT_LABELS_SQL, step="identity.labels_init")
    session.execute(_CONTRACT_SQL, step="identity.labels_contract")
    row = session.fetchone("SELECT count(*) FROM g_cedges", step="identity.labels_unsettled")
    if not row or int(row[0]) == 0:
        return pending
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
    session.execute(_EXPAND_SQL, step="identity.labels_expand")
    return pending
