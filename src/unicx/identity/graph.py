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

# chr(31) (unit separator) cannot occur in a normalized identifier's type.
_EDGES_SQL = """
CREATE OR REPLACE TEMP TABLE g_edges AS
WITH nodes AS (
    SELECT k.grp, k.id_type || chr(31) || k.id_value AS node, k.profile_id
    FROM obs_k k SEMI JOIN pend p ON p.grp = k.grp
),
reps AS (SELECT grp, min(node) AS rep FROM nodes GROUP BY grp),
one_way AS (
    SELECT n.node AS a, r.rep AS b FROM nodes n JOIN reps r USING (grp)
    UNION
    SELECT node, 'P' || chr(31) || profile_id FROM nodes WHERE profile_id IS NOT NULL
)
SELECT a, b FROM one_way UNION SELECT b, a FROM one_way UNION SELECT a, a FROM one_way
UNION SELECT b, b FROM one_way
"""

_INIT_LABELS_SQL = """
CREATE OR REPLACE TEMP TABLE g_labels AS
SELECT a AS node, min(b) AS label FROM g_edges GROUP BY a
"""

_PROPAGATE_SQL = """
CREATE OR REPLACE TEMP TABLE g_next AS
WITH spread AS (
    SELECT e.a AS node, min(l.label) AS label
    FROM g_edges e JOIN g_labels l ON l.node = e.b GROUP BY e.a
)
SELECT s.node, least(s.label, coalesce(j.label, s.label)) AS label
FROM spread s LEFT JOIN g_labels j ON j.node = s.label
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
