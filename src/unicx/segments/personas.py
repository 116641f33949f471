"""Personas: k-means over buyers' behaviour, each cluster saved as a segment that says why.

Features, one row per buyer, from the same order steps as the order traits (so they agree with
``orders_count``, ``revenue`` and ``days_since_last_order``):

* recency: local calendar days since the last counted order, as of ``now``;
* frequency: counted orders; monetary: net revenue in the workspace currency;
* category mix: each of the workspace's top categories' share of the buyer's purchased units
  (net of returns, categorized lines only), the rest summed as "other categories".

Counts and money are skewed, so the model sees ``log1p`` of the first three; all features are
standardized (scikit-learn ``StandardScaler``) before ``KMeans`` (``MiniBatchKMeans`` above
``MINIBATCH_ABOVE`` buyers). Only buyers (at least one counted order) are clustered: RFM means
nothing for the others, who get no persona. A run replaces the previous one: every ``persona``
row of ``model_traits`` and every segment of kind "persona"; Persona 1 is the largest cluster.
"""

from __future__ import annotations

import re
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from unicx.config import Settings
from unicx.errors import ConflictError
from unicx.profiles.computed_sql import LOCAL_TODAY, local_date
from unicx.profiles.orders_sql import ORDER_STEPS
from unicx.profiles.refresh_scope import params_for
from unicx.segments.conditions import issue
from unicx.segments.models import Algorithm, Persona, PersonaFeature, PersonaRun, SegmentCreate
from unicx.segments.service import MAX_SEGMENTS, SegmentService
from unicx.store import Session, Store

MIN_K, MAX_K = 2, 20
MIN_PER_PERSONA = 5  # buyers per requested persona, at least
TOP_CATEGORIES = 8
MINIBATCH_ABOVE = 200_000
MENTION_SD = 0.3  # a feature this close to the average does not describe a persona
TRAIT, MODEL = "persona", "personas"
BUYERS, LABELS = "persona_buyers", "persona_labels"
_ACTIVE_NAMES = "SELECT name FROM segments WHERE status = 'active'"
Kind = Literal["recency", "frequency", "monetary", "category"]


@dataclass(frozen=True)
class _Column:
    key: str
    kind: Kind
    category: str = ""


_RFM = (
    _Column("days_since_last_order", "recency"),
    _Column("orders_count", "frequency"),
    _Column("revenue", "monetary"),
)

BUYERS_SQL = f"""CREATE OR REPLACE TEMP TABLE {BUYERS} AS
WITH ev AS (
  SELECT profile_id, message_id, timestamp, type, event, properties FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track'
    AND event IN ('Order Completed', 'Order Refunded')
),
{ORDER_STEPS},
mix AS (
  SELECT profile_id, list({{'category': category, 'quantity': quantity}}) AS categories
  FROM category_totals WHERE quantity > 0 GROUP BY profile_id
)
SELECT t.profile_id, t.orders_count,
       greatest(date_diff('day', {local_date("t.last_order_at")}, {LOCAL_TODAY}), 0)
         AS days_since_last_order,
       greatest(coalesce(t.revenue, 0), 0) AS revenue, m.categories
FROM order_totals t LEFT JOIN mix m USING (profile_id)
WHERE t.orders_count > 0"""

TOP_SQL = f"""SELECT category FROM (
  SELECT unnest(categories, recursive := true) FROM {BUYERS}
) GROUP BY category ORDER BY count(*) DESC, sum(quantity) DESC, category LIMIT $n"""


def _units(condition: str) -> str:
    return f"coalesce(list_sum([c.quantity FOR c IN categories IF {condition}]), 0)"


def matrix_sql(categories: int, other: bool) -> str:
    """One row per buyer (by profile id): RFM, then shares of ``$c0``.. and of the rest."""
    shares = [f"{_units(f'c.category = $c{i}')} / total AS c{i}" for i in range(categories)]
    if other:
        shares.append(f"{_units('NOT list_contains($top, c.category)')} / total AS other")
    columns = ",\n       ".join(["profile_id", *(c.key for c in _RFM), *shares])
    return f"""SELECT {columns}
FROM (SELECT *, greatest({_units("true")}, 1e-9) AS total FROM {BUYERS})
ORDER BY profile_id"""


def load_features(
    s: Session, settings: Settings, now: datetime
) -> tuple[NDArray[np.object_], NDArray[np.float64], list[_Column]]:
    """Buyers' ids, their raw feature matrix and what each column is."""
    values = {"now": now.isoformat(), "tz": settings.timezone, "currency": settings.currency}
    s.execute(BUYERS_SQL, params_for(BUYERS_SQL, values), step="personas.buyers")
    top = [str(r[0]) for r in s.fetchall(TOP_SQL, {"n": TOP_CATEGORIES + 1}, step="personas.top")]
    other = len(top) > TOP_CATEGORIES
    top = top[:TOP_CATEGORIES]
    columns = [*_RFM, *(_Column(f"share:{c}", "category", c) for c in top)]
    if other:
        columns.append(_Column("share:other", "category"))
    sql = matrix_sql(len(top), other)
    params = {f"c{i}": c for i, c in enumerate(top)} | {"top": top}
    data = s.execute(sql, params_for(sql, params), step="personas.features").fetchnumpy()
    s.execute(f"DROP TABLE IF EXISTS {BUYERS}", step="personas.drop")
    names = list(data)[1:]
    raw = np.column_stack([np.asarray(data[n], dtype=np.float64) for n in names])
    return np.asarray(data["profile_id"], dtype=object), raw, columns


def cluster(
    raw: NDArray[np.float64], *, k: int, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], Algorithm]:
    """Labels numbered by size (0 = largest), the standardized matrix and the algorithm."""
    x = raw.copy()
    x[:, : len(_RFM)] = np.log1p(x[:, : len(_RFM)])  # counts, days and money are skewed
    x = StandardScaler().fit_transform(x)
    # The category mix weighs at most as much as RFM, however many categories it has.
    weight = np.ones(x.shape[1])
    weight[len(_RFM) :] = min(1.0, (len(_RFM) / max(x.shape[1] - len(_RFM), 1)) ** 0.5)
    algorithm: Algorithm = "minibatch_kmeans" if len(x) > MINIBATCH_ABOVE else "kmeans"
    if algorithm == "kmeans":
        model: Any = KMeans(n_clusters=k, n_init=10, random_state=seed)
    else:
        model = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=8192, random_state=seed)
    with warnings.catch_warnings():
        # Fewer distinct buyers than k: reported below as empty personas.
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = np.asarray(model.fit_predict(x * weight), dtype=np.int64)
    sizes = np.bincount(labels, minlength=k)
    if (sizes == 0).any():
        found = int((sizes > 0).sum())
        groups = f"{found} group" + ("s" if found > 1 else "")
        raise issue("k", "too_many", f"too few distinct buyers for k={k}: they form {groups}")
    order = sorted(range(k), key=lambda c: (-sizes[c], tuple(x[labels == c].mean(axis=0))))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels], x, algorithm


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _phrase(col: _Column, mine: float, all_: float, currency: str) -> tuple[str, str]:
    """(the phrase for the description, the short label for the name). The direction follows
    the means shown (the model compared logs of counts and money)."""
    up = mine > all_
    if col.kind == "recency":
        word = "lapsed" if up else "recent"
        return f"{word} (avg {mine:.0f} days since last order vs {all_:.0f})", word
    if col.kind == "frequency":
        word = "frequent" if up else ("one-time" if mine < 1.05 else "few orders")
        return f"{word} buyers (avg {mine:.1f} orders vs {all_:.1f})", word
    if col.kind == "monetary":
        word = "high spend" if up else "low spend"
        return f"{word} (avg {_money(mine)} {currency} vs {_money(all_)})", word
    what = _label(col.category) if col.category else "other categories"
    verb = ("buys mostly" if mine >= 0.5 else "buys more") if up else "buys little"
    short = what if up else f"little {what}"
    return f"{verb} {what} ({mine:.0%} vs {all_:.0%} of units)", short


def _label(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", text)).strip()[:40] or "(blank)"


def describe(
    raw: NDArray[np.float64],
    scaled: NDArray[np.float64],
    labels: NDArray[np.int64],
    columns: list[_Column],
    currency: str,
    cluster_id: int,
) -> tuple[str, str, list[PersonaFeature]]:
    """(description, name, top features) of one cluster: the features furthest from the
    average buyer, in standard deviations of what the model saw."""
    inside = labels == cluster_id
    z = scaled[inside].mean(axis=0)
    mine, overall = raw[inside].mean(axis=0), raw.mean(axis=0)
    top = [int(i) for i in np.argsort(-np.abs(z), kind="stable")[:3] if abs(z[i]) >= MENTION_SD]
    stats = [
        PersonaFeature(
            feature=columns[i].key,
            cluster_mean=round(float(mine[i]), 4),
            overall_mean=round(float(overall[i]), 4),
            difference_sd=round(float(z[i]), 3),
        )
        for i in top
    ]
    phrases = [_phrase(columns[i], mine[i], overall[i], currency) for i in top]
    if not phrases:
        return "close to the average buyer", "average", stats
    return ", ".join(p for p, _ in phrases), ", ".join(w for _, w in phrases[:2]), stats


def build_personas(
    store: Store,
    settings: Settings,
    *,
    k: int = 5,
    seed: int = 0,
    now: datetime | None = None,
    actor: str | None = None,
) -> PersonaRun:
    """Cluster buyers into ``k`` personas, replacing the previous run's traits and segments."""
    if not MIN_K <= k <= MAX_K:
        raise issue("k", "range", f"k must be from {MIN_K} to {MAX_K}")
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    with store.session() as s:
        ids, raw, columns = load_features(s, settings, now)
    if len(ids) == 0:
        raise issue("k", "no_buyers", "no profile has a completed order: nothing to cluster")
    if len(ids) < MIN_PER_PERSONA * k:
        enough = f"{MIN_PER_PERSONA * k} buyers ({MIN_PER_PERSONA} per persona)"
        raise issue("k", "too_few_profiles", f"{len(ids)} buyers; k={k} needs {enough}")
    labels, scaled, algorithm = cluster(raw, k=k, seed=seed)
    version = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    found = [describe(raw, scaled, labels, columns, settings.currency, c) for c in range(k)]
    service = SegmentService(store, settings)
    personas: list[Persona] = []
    with store.profile_lock:
        _retire_previous(store, service, k, now)
        _write_traits(store, ids, labels, version, now)
        with store.session() as s:
            taken = {str(r[0]).lower() for r in s.fetchall(_ACTIVE_NAMES, step="personas.names")}
        for c, (description, short, stats) in enumerate(found):
            value = f"persona_{c + 1}"
            name = _unique(f"Persona {c + 1}: {short}"[:90], taken)
            body = SegmentCreate(
                name=name,
                description=description,
                kind="persona",
                definition={"trait": TRAIT, "op": "eq", "value": value},
            )
            seg = service.create(body, actor=actor, now=now)
            personas.append(
                Persona(
                    persona=value,
                    segment_id=seg.segment_id,
                    name=seg.name,
                    size=seg.size,
                    description=description,
                    top_features=stats,
                )
            )
    return PersonaRun(
        model_version=version,
        k=k,
        algorithm=algorithm,
        profiles=len(ids),
        features=[c.key for c in columns],
        personas=personas,
        seconds=round(time.perf_counter() - started, 3),
    )


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name} ({n})"
    taken.add(candidate.lower())
    return candidate


def _retire_previous(store: Store, service: SegmentService, k: int, now: datetime) -> None:
    """Delete the previous persona segments, after checking that nothing blocks the run."""
    with store.session() as s:
        users = s.fetchall(
            "SELECT u.name, p.name FROM segments u, segments p WHERE u.status = 'active' "
            "AND p.status = 'active' AND p.kind = 'persona' AND u.kind <> 'persona' "
            "AND contains(CAST(u.definition AS VARCHAR), CAST(to_json(p.segment_id) AS VARCHAR))",
            step="personas.users",
        )
        previous = s.fetchall(
            "SELECT segment_id FROM segments WHERE status = 'active' AND kind = 'persona'",
            step="personas.previous",
        )
        row = s.fetchone("SELECT count(*) FROM (" + _ACTIVE_NAMES + ")", step="personas.count")
    if users:
        used = ", ".join(f"{p!r} by {u!r}" for u, p in users[:5])
        raise ConflictError(f"persona segments are used by other segments ({used}): change them")
    if row and int(row[0]) - len(previous) + k > MAX_SEGMENTS:
        raise ConflictError(f"at most {MAX_SEGMENTS} active segments: no room for {k} personas")
    for (segment_id,) in previous:
        service.delete(str(segment_id), now=now)


def _write_traits(
    store: Store, ids: NDArray[np.object_], labels: NDArray[np.int64], version: str, now: datetime
) -> None:
    table = pa.table({"profile_id": pa.array(ids), "persona": pa.array(labels + 1)})
    with store.session() as s, s.transaction():
        s.execute("DELETE FROM model_traits WHERE name = ?", [TRAIT], step="personas.clear")
        s.register(LABELS, table)
        s.execute(
            "INSERT INTO model_traits (profile_id, name, value, model, model_version, computed_at) "
            f"SELECT profile_id, ?, to_json('persona_' || persona), ?, ?, ? FROM {LABELS}",
            [TRAIT, MODEL, version, now],
            step="personas.write",
        )
        s.unregister(LABELS)
