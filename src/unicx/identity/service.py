"""Identity resolution: events → identifier graph → profiles, with merge protection.

A pass (:meth:`IdentityService.resolve`) extracts the identifiers of a window of events,
skips the groups already fully known in one profile (the realtime fast path), finds connected
components of the rest in SQL, accepts the components that break no rule in one set-based
statement and replays the others in time order. Every pass runs in one transaction under the
store's profile lock, so readers see either the old or the new graph, never half a merge.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unicx.config import Settings
from unicx.identity import merges
from unicx.identity.changes import refresh_derived
from unicx.identity.components import accept_components
from unicx.identity.extract import extract
from unicx.identity.graph import find_components
from unicx.identity.models import ConflictRecord, MergeRecord
from unicx.identity.replay import replay_components
from unicx.store import Session, Store
from unicx.store.bulk import emptied_without_key

log = logging.getLogger(__name__)

_TEMP_TABLES = (
    "obs_raw",
    "obs",
    "obs_dead",
    "obs_k",
    "obs_p",
    "g_nodes",
    "g_pnodes",
    "g_members",
    "g_edges",
    "g_labels",
    "g_cedges",
    "g_clabels",
    "g_front",
    "g_front_next",
    "comp_ids",
    "comp_profiles",
    "comp_all_ids",
    "comp_bad",
    "comp_winner",
    "comp_losers",
)

_TOUCH_KNOWN_SQL = """
UPDATE identities SET first_seen = least(identities.first_seen, x.mn),
    last_seen = greatest(identities.last_seen, x.mx)
FROM (SELECT id_type, id_value, min(ts) AS mn, max(ts) AS mx
      FROM obs_k WHERE profile_id IS NOT NULL GROUP BY ALL) x
WHERE identities.id_type = x.id_type AND identities.id_value = x.id_value
  AND (x.mx > identities.last_seen OR x.mn < identities.first_seen)
"""

# Profiles of identifiers that were already known (obs_k carries them: no second pass over
# identities); new identifiers' profiles come from the component and replay steps, and a
# profile merged away on the way is refreshed too (its derived rows go).
_TOUCHED_SQL = """
SELECT DISTINCT profile_id FROM obs_k WHERE profile_id IS NOT NULL
"""


@dataclass
class ResolveResult:
    groups: int = 0
    pending: int = 0
    merges: int = 0
    conflicts: int = 0
    dropped_events: int = 0
    touched: list[str] = field(default_factory=list)
    # Seconds spent refreshing traits and consents of the touched profiles (benchmarks).
    derived_seconds: float = 0.0

    def summary(self) -> dict[str, int]:
        """Counts for people (API and CLI): how many profiles, not which."""
        return {
            "groups": self.groups,
            "pending": self.pending,
            "merges": self.merges,
            "conflicts": self.conflicts,
            "dropped_events": self.dropped_events,
            "profiles_touched": len(self.touched),
        }


class IdentityService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def resolve_since(self, since: datetime | None) -> ResolveResult:
        """Resolve events received at/after ``since`` and refresh the profiles they touch."""
        with self.store.profile_lock, self.store.session() as s, s.transaction():
            result = self.resolve(s, since=since)
            refresh_derived(s, self.settings, result.touched)
        return result

    def rebuild(self) -> ResolveResult:
        """Forget the graph and resolve every event and link again (profile ids change).

        Blocks from unmerges and links from matching are kept and applied again.
        """
        with self.store.profile_lock, self.store.session() as s, s.transaction():
            s.execute(
                "DELETE FROM identity_merges; DELETE FROM identity_conflicts;",
                step="identity.rebuild_clear",
            )
            # Every identifier is written again, mostly under the same key: load key-less
            # tables and index them once at the end (see unicx.store.bulk).
            with emptied_without_key(s, "identities"), emptied_without_key(s, "profiles"):
                result = self.resolve(s, since=None, include_links=True, fresh=True)
            started = time.perf_counter()
            refresh_derived(s, self.settings, None)
            result.derived_seconds = time.perf_counter() - started
        return result

    def resolve(
        self,
        session: Session,
        *,
        since: datetime | None,
        include_links: bool = False,
        fresh: bool = False,
    ) -> ResolveResult:
        """One pass inside the caller's transaction (see the module docstring).

        ``fresh``: the identity tables were just emptied (rebuild), so no identifier is known
        and the steps that look up or touch known ones are skipped."""
        result = ResolveResult()
        try:
            result.dropped_events = extract(session, since=since, include_links=include_links)
            row = session.fetchone("SELECT count(DISTINCT grp) FROM obs", step="identity.groups")
            result.groups = int(row[0]) if row else 0
            if not result.groups:
                return result
            result.pending = find_components(session, fresh_groups=result.groups if fresh else None)
            if not fresh:
                session.execute(_TOUCH_KNOWN_SQL, step="identity.touch_known")
            touched: set[str] = set()
            if result.pending:
                result.merges, accepted, bad = accept_components(session, self.settings)
                touched.update(accepted)
                replayed, result.conflicts = replay_components(session, self.settings, bad)
                touched.update(replayed)
            if not fresh:
                known = session.fetchall(_TOUCHED_SQL, step="identity.touched")
                touched.update(r[0] for r in known)
            result.touched = sorted(touched)
        finally:
            for name in _TEMP_TABLES:
                session.execute(f"DROP TABLE IF EXISTS temp.{name}", step="identity.cleanup")
        # Passes run after every flush: only those that merged or met a conflict are news.
        log.log(
            logging.INFO if result.merges or result.conflicts else logging.DEBUG,
            "identity pass: %d groups, %d pending, %d merges, %d conflicts",
            result.groups,
            result.pending,
            result.merges,
            result.conflicts,
        )
        return result

    def merge_profiles(
        self,
        winner_id: str,
        loser_id: str,
        *,
        reason: str,
        evidence: dict[str, Any] | None = None,
        actor: str = "system",
    ) -> str:
        """Merge by decision (match, review, by hand); see :mod:`unicx.identity.merges`."""
        return merges.merge_profiles(
            self.store,
            self.settings,
            winner_id,
            loser_id,
            reason=reason,
            evidence=evidence,
            actor=actor,
        )

    def unmerge(self, merge_id: str, *, actor: str) -> MergeRecord:
        return merges.unmerge(self.store, self.settings, merge_id, actor=actor)

    def list_merges(self, *, profile_id: str | None = None, limit: int = 100) -> list[MergeRecord]:
        where = "WHERE winner_id = ? OR loser_id = ?" if profile_id else ""
        params = [profile_id, profile_id, limit] if profile_id else [limit]
        with self.store.session() as s:
            ids = s.fetchall(
                f"SELECT merge_id FROM identity_merges {where} ORDER BY created_at DESC LIMIT ?",
                params,
                step="identity.list_merges",
            )
            return [merges.get_merge(s, str(r[0])) for r in ids]

    def list_conflicts(
        self, *, status: str | None = "open", limit: int = 100
    ) -> list[ConflictRecord]:
        where = "WHERE status = ?" if status else ""
        params: list[object] = [status, limit] if status else [limit]
        with self.store.session() as s:
            rows = s.fetch_dicts(
                f"SELECT * FROM identity_conflicts {where} ORDER BY last_seen DESC LIMIT ?",
                params,
                step="identity.list_conflicts",
            )
        return [ConflictRecord(**r) for r in rows]
