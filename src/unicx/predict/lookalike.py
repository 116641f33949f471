"""Lookalike audiences: the people outside a seed segment who behave most like its members.

A logistic regression (scaled ``log1p`` of the behavioural features of
:mod:`unicx.predict.features` at ``now``; class-balanced) learns seed versus everyone else. To
say how much to trust it, 20 % of the seed and 20 % of the rest are held out of a first fit:
``recall_at_top`` is the share of held-out seed members ranked in the same top fraction of the
held-out pool as the requested audience is of all candidates (a random ranking recovers that
fraction: ``random_recall``), and ``auc`` ranks held-out members against held-out others.

The model is then refitted on the whole seed, every profile outside it is scored, the scores
are written to ``model_traits`` as ``lookalike_<seed id>`` (model ``lookalike:<seed id>``, so
lookalikes of different seeds never overwrite each other), and a segment of kind "lookalike"
is saved: score at least the N-th best score, and not in the seed.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from unicx.config import Settings
from unicx.errors import ConflictError, FieldIssue, ValidationError
from unicx.predict.features import Features, feature_table
from unicx.predict.registry import TrainResult, new_version, record_run, replace_traits
from unicx.segments.models import LookalikeRecovery, LookalikeRun, SegmentCreate, SegmentPublic
from unicx.segments.service import SegmentService
from unicx.store import Store

MIN_SEED = 10  # seed members with any behaviour: 2 held out, 8 to learn from
MIN_CANDIDATES = 10
HOLDOUT = 0.2
NEVER_DAYS = 3650.0  # "days since the last order" of someone who never ordered
ALGORITHM = "logistic_regression"
SEED = 0


def _issue(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(message, issues=[FieldIssue(field, rule, message)])


def _prepare(x: NDArray[np.float64]) -> NDArray[np.float64]:
    # Counts, money and days are heavy-tailed: logs keep a few big spenders from dominating.
    return np.log1p(np.clip(np.nan_to_num(x, nan=NEVER_DAYS), 0, None))


def classifier() -> Pipeline:
    return make_pipeline(
        FunctionTransformer(_prepare),
        StandardScaler(),
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000),
    )


def audience_size(candidates: int, *, top: int | None, top_percent: float | None) -> int:
    """People to include: ``top`` (at most everyone), or ``top_percent`` of the candidates."""
    if (top is None) == (top_percent is None):
        raise _issue("top", "exactly_one", "give exactly one of top or top_percent")
    if top is not None and top < 1:
        raise _issue("top", "range", "top must be at least 1")
    if top_percent is not None and not 0 < top_percent <= 50:
        raise _issue("top_percent", "range", "top_percent must be above 0 and at most 50")
    if top is not None:
        return min(top, candidates)
    return max(1, math.ceil(candidates * (top_percent or 0) / 100))


def recovery(
    seed: Features, rest: Features, *, fraction: float, rng: np.random.Generator
) -> LookalikeRecovery:
    """Fit without 20 % of the seed and of the rest; rank the held-out ones."""
    seed_out = rng.permutation(len(seed.ids)) < max(2, round(HOLDOUT * len(seed.ids)))
    rest_out = rng.permutation(len(rest.ids)) < max(1, round(HOLDOUT * len(rest.ids)))
    x = np.vstack([seed.matrix[~seed_out], rest.matrix[~rest_out]])
    y = np.r_[np.ones(int((~seed_out).sum())), np.zeros(int((~rest_out).sum()))]
    fitted = classifier().fit(x, y)
    pos = fitted.predict_proba(seed.matrix[seed_out])[:, 1]
    neg = fitted.predict_proba(rest.matrix[rest_out])[:, 1]
    pool = np.r_[pos, neg]
    k = max(1, math.ceil(fraction * len(pool)))
    cut = np.sort(pool)[::-1][k - 1]
    labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    top = np.argsort(-pool, kind="stable")[:k]
    return LookalikeRecovery(
        holdout=len(pos),
        recall_at_top=round(float(np.mean(pos >= cut)), 4),
        random_recall=round(k / len(pool), 4),
        precision_at_top=round(float(labels[top].mean()), 4),
        auc=round(float(roc_auc_score(labels, pool)), 4),
    )


def build_lookalike(
    store: Store,
    settings: Settings,
    seed_segment: str,
    *,
    top: int | None = None,
    top_percent: float | None = None,
    name: str | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> LookalikeRun:
    """Score everyone outside ``seed_segment`` (id or name) and save the top as a segment."""
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    service = SegmentService(store, settings)
    seed_seg = service.get(seed_segment)  # NotFoundError: 404
    audience_size(1, top=top, top_percent=top_percent)  # bad arguments fail before any work
    taken = {seg.name.lower() for seg in service.all()}
    if name is not None and name.strip().lower() in taken:
        raise ConflictError(f"a segment named {name.strip()!r} exists")
    seed, rest = _seed_and_rest(store, settings, seed_seg, now=now)
    k = audience_size(len(rest.ids), top=top, top_percent=top_percent)
    rng = np.random.default_rng(SEED)
    metrics = recovery(seed, rest, fraction=k / len(rest.ids), rng=rng)
    x = np.vstack([seed.matrix, rest.matrix])
    y = np.r_[np.ones(len(seed.ids)), np.zeros(len(rest.ids))]
    scores = np.round(classifier().fit(x, y).predict_proba(rest.matrix)[:, 1], 6)
    threshold = float(np.sort(scores)[::-1][k - 1])
    short = seed_seg.segment_id.removeprefix("seg_")
    trait, model = f"lookalike_{short}"[:63].lower(), f"lookalike:{seed_seg.segment_id}"
    # Two lookalikes of one seed in the same instant must not share a registry version.
    version = f"{new_version(now)}-{uuid.uuid4().hex[:6]}"
    result = TrainResult(model, version, "active", len(rest.ids), metrics.model_dump())
    params = {"seed": seed_seg.segment_id, "audience": k, "algorithm": ALGORITHM}
    out = pa.table({"profile_id": pa.array(rest.ids, pa.string()), trait: scores})
    label = f"top {top:,}" if top is not None else f"top {top_percent:g}%"
    title = name or _free_name(taken, f"Lookalike of {seed_seg.name} ({label})"[:100])
    body = _segment_body(title, seed_seg, trait=trait, threshold=threshold, k=k, metrics=metrics)
    with store.profile_lock:
        with store.session() as s, s.transaction():
            replace_traits(s, model=model, version=version, table=out, now=now)
            record_run(s, result, now=now, params=params)
        segment = service.create(body, actor=actor, now=now)
    return LookalikeRun(
        segment=segment,
        seed_id=seed_seg.segment_id,
        seed_size=len(seed.ids),
        candidates=len(rest.ids),
        audience=k,
        size=segment.size,
        trait=trait,
        threshold=threshold,
        model=ALGORITHM,
        model_version=version,
        recovery=metrics,
        seconds=round(time.perf_counter() - started, 3),
    )


def _seed_and_rest(
    store: Store, settings: Settings, seed_seg: SegmentPublic, *, now: datetime
) -> tuple[Features, Features]:
    """Everyone's features at ``now``, split into the seed's members and everyone else."""
    with store.session() as s:
        table = feature_table(s, settings, cutoff=now)
        rows = s.fetchall(
            "SELECT profile_id FROM segment_members WHERE segment_id = ?",
            [seed_seg.segment_id],
            step="lookalike.seed",
        )
    members = {str(r[0]) for r in rows}
    in_seed = np.array([pid in members for pid in table.ids], dtype=bool)
    seed, rest = table.rows(in_seed), table.rows(~in_seed)
    if len(seed.ids) < MIN_SEED:
        raise _issue(
            "segment_id",
            "seed_too_small",
            f"seed {seed_seg.name!r} has {len(seed.ids)} members with any behaviour; "
            f"a lookalike needs at least {MIN_SEED}",
        )
    if len(rest.ids) < MIN_CANDIDATES:
        raise ConflictError(
            f"only {len(rest.ids)} profiles are outside the seed {seed_seg.name!r}: "
            f"nothing to find lookalikes among (needs {MIN_CANDIDATES})"
        )
    return seed, rest


def _segment_body(
    name: str,
    seed_seg: SegmentPublic,
    *,
    trait: str,
    threshold: float,
    k: int,
    metrics: LookalikeRecovery,
) -> SegmentCreate:
    """The saved lookalike segment: score at least the k-th best, and not in the seed."""
    return SegmentCreate(
        name=name,
        description=f"The {k:,} people outside {seed_seg.name!r} who behave most like it "
        f"(held-out recall {metrics.recall_at_top:.0%} vs {metrics.random_recall:.0%} random)",
        kind="lookalike",
        definition={
            "all": [
                {"trait": trait, "op": "gte", "value": threshold},
                {"not": {"segment": seed_seg.segment_id}},
            ]
        },
    )


def _free_name(taken: set[str], name: str) -> str:
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name[:94]} ({n})"
    return candidate
