"""Probabilistic matching of profiles that share no identifier (CRM rows with typos, names with
and without diacritics, swapped day/month), with Splink; see :mod:`matching_model`.

A run builds one record per named profile in SQL, scores candidate pairs on a private DuckDB,
brings the pairs back into the workspace as Arrow and sorts them there: pairs blocked by an
unmerge, already decided or involving a vanished profile are dropped; pairs at or above
``match_auto_threshold`` *with a strong signal* merge through :class:`IdentityService`; the
other pairs down to ``match_review_threshold`` are upserted into ``match_reviews`` (the pair
id is a hash of the sorted pair, so a rerun adds nothing new).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel

from unicx.config import Settings
from unicx.errors import ConflictError
from unicx.identity import matching_levels, matching_model, matching_sql
from unicx.identity import reviews as reviews_mod
from unicx.identity.normalize import normalize_phone
from unicx.identity.service import IdentityService
from unicx.store import Session, Store

log = logging.getLogger(__name__)


class MatchPair(BaseModel):
    pair_id: str
    profile_a: str
    profile_b: str
    probability: float
    action: Literal["merged", "review", "refused"]
    merge_id: str | None = None
    evidence: dict[str, Any]


class MatchReport(BaseModel):
    records: int
    candidates: int
    trained: bool
    auto_merged: int
    sent_to_review: int
    new_reviews: int
    refused: int
    pairs: list[MatchPair]


def pair_id(a: str, b: str) -> str:
    lo, hi = sorted((a, b))
    return hashlib.sha256(f"{lo}\x1f{hi}".encode()).hexdigest()[:32]


# Pairs worth acting on: both profiles still exist, no identifier of one is blocked against an
# identifier of the other (an unmerge), and no decision was taken on the pair already.
_KEEP_SQL = """
SELECT c.*, pa.created_at AS created_a, pb.created_at AS created_b
FROM match_candidates c
JOIN profiles pa ON pa.profile_id = c.id_l
JOIN profiles pb ON pb.profile_id = c.id_r
WHERE NOT EXISTS (
    SELECT 1 FROM match_reviews r WHERE r.pair_id = c.pair_id AND r.status <> 'open')
AND NOT EXISTS (
    SELECT 1 FROM identity_blocks b
    JOIN identities x ON x.id_type = b.a_type AND x.id_value = b.a_value
    JOIN identities y ON y.id_type = b.b_type AND y.id_value = b.b_value
    WHERE (x.profile_id = c.id_l AND y.profile_id = c.id_r)
       OR (x.profile_id = c.id_r AND y.profile_id = c.id_l))
ORDER BY c.probability DESC, c.pair_id
"""


def load_records(session: Session) -> pa.Table:
    """One comparison record per profile with a name (see :mod:`matching_sql`)."""
    raws = [r[0] for r in session.fetchall(matching_sql.TRAIT_PHONES_SQL, step="match.phones")]
    pairs = [(raw, normalize_phone(raw)) for raw in raws if raw]
    norm = pa.table(
        {
            "raw": pa.array([p[0] for p in pairs], pa.string()),
            "e164": pa.array([p[1] for p in pairs], pa.string()),
        }
    )
    session.register("match_phone_norm", norm)
    try:
        sql = matching_sql.records_sql(f"({matching_sql.WORKSPACE_RAW_SQL}) AS match_raw")
        records: pa.Table = session.execute(sql, step="match.records").to_arrow_table()
    finally:
        session.unregister("match_phone_norm")
    return records


def _evidence(row: dict[str, Any], labels: dict[str, dict[int, str]]) -> dict[str, Any]:
    levels = {
        name: labels[name].get(int(row[f"gamma_{name}"]), str(row[f"gamma_{name}"]))
        for name in labels
        if row.get(f"gamma_{name}") is not None
    }
    return {
        "probability": round(float(row["probability"]), 6),
        "match_weight": round(float(row["match_weight"]), 3),
        "strong_signal": bool(row["strong"]),
        "levels": levels,
    }


def _candidates(
    store: Store, settings: Settings, profile_ids: list[str] | None
) -> tuple[list[dict[str, Any]], matching_model.ScoreResult]:
    with store.session() as s:
        records = load_records(s)
    result = matching_model.score_pairs(
        records, focus_ids=profile_ids, threshold=settings.match_review_threshold
    )
    pairs = result.pairs
    if pairs.num_rows == 0:
        return [], result
    ids = [pair_id(a, b) for a, b in zip(pairs["id_l"].to_pylist(), pairs["id_r"].to_pylist(),
                                         strict=True)]  # fmt: skip
    pairs = pairs.append_column("pair_id", pa.array(ids, pa.string()))
    with store.session() as s:
        s.register("match_candidates", pairs)
        try:
            rows = s.fetch_dicts(_KEEP_SQL, step="match.keep")
        finally:
            s.unregister("match_candidates")
    return rows, result


def match_profiles(
    store: Store,
    settings: Settings,
    *,
    profile_ids: list[str] | None = None,
    actor: str = "system",
) -> MatchReport:
    """Find profiles that are probably one person; merge the sure ones, queue the likely ones.

    ``profile_ids``: only pairs with at least one side among them (e.g. just-imported rows
    against the whole workspace); None compares every named profile."""
    rows, result = _candidates(store, settings, profile_ids)
    labels = matching_levels.level_labels()
    now = datetime.now(UTC)
    report = MatchReport(
        records=result.records, candidates=len(rows), trained=result.trained,
        auto_merged=0, sent_to_review=0, new_reviews=0, refused=0, pairs=[],
    )  # fmt: skip
    reviews: list[MatchPair] = []
    merged_into: dict[str, str] = {}
    # Every merge of this run is done before the review band, whose pairs then name the
    # profiles that survived.
    rows.sort(key=lambda r: (not _automatic(r, settings), -float(r["probability"])))
    for row in rows:
        auto = _automatic(row, settings)
        a, b = str(row["id_l"]), str(row["id_r"])
        if not auto:
            a, b = sorted((_current(merged_into, a), _current(merged_into, b)))
            if a == b:
                continue
        pair = MatchPair(
            pair_id=pair_id(a, b), profile_a=a, profile_b=b, probability=float(row["probability"]),
            action="review", evidence=_evidence(row, labels),
        )  # fmt: skip
        if auto:
            _auto_merge(store, settings, pair, row, merged_into, actor=actor)
        report.pairs.append(pair)
        if pair.action != "merged":
            reviews.append(pair)
    report.new_reviews = reviews_mod.store_reviews(store, reviews, now)
    report.auto_merged = sum(p.action == "merged" for p in report.pairs)
    report.refused = sum(p.action == "refused" for p in report.pairs)
    report.sent_to_review = sum(p.action == "review" for p in report.pairs)
    log.info(
        "match: %d records, %d candidates, %d merged, %d to review, %d refused",
        report.records, report.candidates, report.auto_merged, report.sent_to_review,
        report.refused,
    )  # fmt: skip
    return report


def _automatic(row: dict[str, Any], settings: Settings) -> bool:
    """A probability alone never merges: namesakes who share a common name, a city and a
    street can score high on those. Only a pair with a strong signal (a near-identical phone or
    e-mail, or birth date plus address) merges without a person; the rest goes to review."""
    return float(row["probability"]) >= settings.match_auto_threshold and bool(row["strong"])


def _current(merged_into: dict[str, str], pid: str) -> str:
    while pid in merged_into:
        pid = merged_into[pid]
    return pid


def _auto_merge(
    store: Store,
    settings: Settings,
    pair: MatchPair,
    row: dict[str, Any],
    merged_into: dict[str, str],
    *,
    actor: str,
) -> None:
    """Merge the younger profile into the older; follow earlier merges of this run, since a
    chain a~b, b~c is one person and b no longer exists once merged."""

    older_first = sorted([(row["created_a"], pair.profile_a), (row["created_b"], pair.profile_b)])
    winner = _current(merged_into, older_first[0][1])
    loser = _current(merged_into, older_first[1][1])
    if winner == loser:
        pair.action = "merged"
        return
    try:
        pair.merge_id = IdentityService(store, settings).merge_profiles(
            winner, loser, reason="match", evidence=pair.evidence, actor=actor
        )
    except ConflictError as exc:
        # Merge protection (e.g. two user ids) outranks a probability: keep it for a person.
        pair.action = "refused"
        pair.evidence["refused"] = exc.message
        return
    merged_into[loser] = winner
    pair.action = "merged"
