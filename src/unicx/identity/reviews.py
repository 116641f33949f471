"""The match review list: pairs scored between ``match_review_threshold`` and
``match_auto_threshold`` wait here for a person to accept (merge) or reject (never proposed
again). Merges that merge protection refused are kept here too, with status ``refused``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pydantic import BaseModel

from unicx.config import Settings
from unicx.errors import ConflictError, NotFoundError
from unicx.identity.service import IdentityService
from unicx.store import Store

if TYPE_CHECKING:
    from unicx.identity.matching import MatchPair

REVIEW_STATUSES = ("open", "accepted", "rejected", "refused", "stale")


class Review(BaseModel):
    pair_id: str
    profile_a: str
    profile_b: str
    probability: float
    evidence: Any = None
    status: str
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None


_NEW_REVIEWS_SQL = """
SELECT count(*) FROM match_new_reviews n
WHERE NOT EXISTS (SELECT 1 FROM match_reviews r WHERE r.pair_id = n.pair_id)
"""

# A rerun refreshes the score of a pair still open and adds nothing.
_UPSERT_REVIEWS_SQL = """
INSERT INTO match_reviews (pair_id, profile_a, profile_b, probability, evidence, status,
                           created_at)
SELECT pair_id, profile_a, profile_b, probability, CAST(evidence AS JSON), status, ?
FROM match_new_reviews
ON CONFLICT (pair_id) DO UPDATE SET probability = excluded.probability,
    evidence = excluded.evidence
"""

# Open reviews whose profiles were merged or erased since cannot be decided any more.
_STALE_SQL = """
UPDATE match_reviews SET status = 'stale', decided_at = ?, decided_by = 'system'
WHERE status = 'open' AND (
    profile_a NOT IN (SELECT profile_id FROM profiles)
    OR profile_b NOT IN (SELECT profile_id FROM profiles))
"""


def store_reviews(store: Store, pairs: list[MatchPair], now: datetime) -> int:
    """Upsert the review band (and refused merges); returns how many pairs are new."""
    table = pa.table(
        {
            "pair_id": pa.array([p.pair_id for p in pairs], pa.string()),
            "profile_a": pa.array([p.profile_a for p in pairs], pa.string()),
            "profile_b": pa.array([p.profile_b for p in pairs], pa.string()),
            "probability": pa.array([p.probability for p in pairs], pa.float64()),
            "evidence": pa.array([json.dumps(p.evidence) for p in pairs], pa.string()),
            "status": pa.array(["refused" if p.action == "refused" else "open" for p in pairs],
                               pa.string()),
        }
    )  # fmt: skip
    with store.session() as s, s.transaction():
        s.register("match_new_reviews", table)
        try:
            row = s.fetchone(_NEW_REVIEWS_SQL, step="match.review_new")
            s.execute(_UPSERT_REVIEWS_SQL, [now], step="match.review_upsert")
        finally:
            s.unregister("match_new_reviews")
        s.execute(_STALE_SQL, [now], step="match.review_stale")
    return int(row[0]) if row else 0


def list_reviews(store: Store, *, status: str | None = "open", limit: int = 100) -> list[Review]:
    where = "WHERE status = ?" if status else ""
    params: list[Any] = [status, limit] if status else [limit]
    with store.session() as s:
        rows = s.fetch_dicts(
            f"SELECT * FROM match_reviews {where} ORDER BY probability DESC, pair_id LIMIT ?",
            params,
            step="match.list_reviews",
        )
    return [_review(r) for r in rows]


def get_review(store: Store, pair_id_: str) -> Review:
    with store.session() as s:
        rows = s.fetch_dicts(
            "SELECT * FROM match_reviews WHERE pair_id = ?", [pair_id_], step="match.get_review"
        )
    if not rows:
        raise NotFoundError(f"no match review {pair_id_}")
    return _review(rows[0])


def _review(row: dict[str, Any]) -> Review:
    if isinstance(row.get("evidence"), str):
        row["evidence"] = json.loads(row["evidence"])
    return Review(**row)


def decide_review(
    store: Store, settings: Settings, pair_id_: str, *, accept: bool, actor: str
) -> Review:
    """Accept (merge the pair, older profile wins) or reject (never propose it again)."""
    review = get_review(store, pair_id_)
    if review.status not in ("open", "refused"):
        raise ConflictError(f"match review {pair_id_} is already {review.status}")
    if accept:
        winner, loser = _older_first(store, review.profile_a, review.profile_b)
        IdentityService(store, settings).merge_profiles(
            winner, loser, reason="match_review", evidence=review.evidence or {}, actor=actor
        )
    with store.session() as s:
        s.execute(
            "UPDATE match_reviews SET status = ?, decided_at = ?, decided_by = ? WHERE pair_id = ?",
            ["accepted" if accept else "rejected", datetime.now(UTC), actor, pair_id_],
            step="match.decide",
        )
    return get_review(store, pair_id_)


def _older_first(store: Store, a: str, b: str) -> tuple[str, str]:
    with store.session() as s:
        rows = s.fetchall(
            "SELECT profile_id FROM profiles WHERE profile_id IN (?, ?) "
            "ORDER BY created_at, profile_id",
            [a, b],
            step="match.older_first",
        )
    found = [str(r[0]) for r in rows]
    if len(found) < 2:
        missing = next(p for p in (a, b) if p not in found)
        raise ConflictError(f"profile {missing} no longer exists (merged or erased since)")
    return found[0], found[1]
