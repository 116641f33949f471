"""Behavioural features per profile as of a cutoff time: what churn and lookalike models see.

One SQL query (named CTE steps) over ``event_profiles``, reading only events strictly before
the cutoff, so a feature table at a past cutoff knows nothing of what came after it: the
temporal split of the churn model depends on that. Order values come from the shared order
steps (:mod:`unicx.profiles.orders_sql`), so ``orders_all`` and ``revenue_all`` agree with the
``orders_count`` and ``revenue`` traits at the same time.

Only built-in behaviour is used, never custom, profile or model traits: a trait marked
sensitive (health, religion, ...) can therefore never become a model feature, and a model
output at ``now`` cannot leak into training at an earlier cutoff (docs/churn-lookalike.md).

Days since the first/last order are NaN for people without an order (models that cannot take
NaN fill them); every other feature is a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from unicx.config import Settings
from unicx.profiles.computed_sql import EVENT_CHANNEL, SESSION_GAP_MINUTES
from unicx.profiles.orders_sql import ORDER_LINES_STEP, order_core_steps
from unicx.store import Session

TOP_CATEGORIES = 5
WINDOWS = (30, 90, 365)
ACTIVITY_WINDOWS = (30, 90)
CUT = "CAST($now AS TIMESTAMPTZ)"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _days(column: str) -> str:
    return f"date_diff('second', {column}, {CUT}) / 86400.0"


def _since(days: int) -> str:
    return f"{CUT} - INTERVAL {days} DAY"


def _order_windows() -> str:
    parts = []
    for d in WINDOWS:
        since = f"ordered_at >= {_since(d)}"
        parts.append(f"count(*) FILTER (WHERE counted AND {since}) AS orders_{d}d")
        parts.append(f"coalesce(sum(net) FILTER (WHERE {since}), 0) AS revenue_{d}d")
    return ",\n         ".join(parts)


def _activity_windows() -> str:
    counts = {
        "page_views": "type IN ('page', 'screen')",
        "product_views": "event = 'Product Viewed'",
        "cart_adds": "event = 'Product Added'",
    }
    parts = [
        f"count(*) FILTER (WHERE {cond} AND timestamp >= {_since(d)}) AS {name}_{d}d"
        for d in ACTIVITY_WINDOWS
        for name, cond in counts.items()
    ]
    return ",\n         ".join(parts)


def _sessions() -> str:
    return ", ".join(
        f"coalesce(sum(starts) FILTER (WHERE timestamp >= {_since(d)}), 0) AS sessions_{d}d"
        for d in ACTIVITY_WINDOWS
    )


def _shares() -> str:
    # Share of net category spend in the workspace's k-th most bought category (rank fixed by
    # $categories_at, so every cutoff of one model gives column k the same meaning).
    return ", ".join(
        f"coalesce(sum(c.amount) FILTER (WHERE t.rank = {k}) / nullif(sum(c.amount), 0), 0)"
        f" AS share_top{k}"
        for k in range(1, TOP_CATEGORIES + 1)
    )


FEATURES_SQL = f"""
WITH ev AS (
  SELECT profile_id, message_id, timestamp, type, event, properties, context, channel,
         device_type, library_name
  FROM event_profiles
  WHERE profile_id IS NOT NULL AND timestamp < {CUT}
    AND timestamp >= CAST($since AS TIMESTAMPTZ)
),
{order_core_steps("ev")},
{ORDER_LINES_STEP},
order_feats AS (
  SELECT profile_id,
         count(*) FILTER (WHERE counted) AS orders_all,
         coalesce(sum(net), 0) AS revenue_all,
         {_order_windows()},
         min(ordered_at) FILTER (WHERE counted) AS first_order_at,
         max(ordered_at) FILTER (WHERE counted) AS last_order_at
  -- isfinite: a "NaN" revenue parses as a number and would poison every sum.
  FROM orders WHERE isfinite(net) GROUP BY profile_id
),
lines AS (
  SELECT l.profile_id, l.product_id, nullif(l.category, '') AS category, l.quantity,
         coalesce(l.amount, 0) AS amount, o.ordered_at
  FROM order_lines l JOIN orders o USING (profile_id, order_id)
  WHERE o.counted AND isfinite(coalesce(l.amount, 0))
),
top_categories AS (
  SELECT category, row_number() OVER (ORDER BY sum(quantity) DESC, category) AS rank
  FROM lines WHERE category IS NOT NULL AND ordered_at < CAST($categories_at AS TIMESTAMPTZ)
  GROUP BY category QUALIFY rank <= {TOP_CATEGORIES}
),
category_spend AS (
  SELECT profile_id, category, greatest(sum(amount), 0) AS amount, sum(quantity) AS quantity
  FROM lines WHERE category IS NOT NULL GROUP BY ALL
),
category_feats AS (
  SELECT c.profile_id, count(*) FILTER (WHERE c.quantity > 0) AS categories_bought, {_shares()}
  FROM category_spend c LEFT JOIN top_categories t USING (category)
  GROUP BY c.profile_id
),
product_feats AS (
  SELECT profile_id, count(DISTINCT product_id) AS products_bought
  FROM lines WHERE quantity > 0 GROUP BY profile_id
),
visits AS (
  SELECT profile_id, timestamp, device_type, {EVENT_CHANNEL} AS visit_channel
  FROM ev WHERE type IN ('page', 'screen', 'track')
),
session_starts AS (
  SELECT profile_id, timestamp,
         CASE WHEN timestamp - lag(timestamp) OVER w <= INTERVAL {SESSION_GAP_MINUTES} MINUTE
              THEN 0 ELSE 1 END AS starts
  FROM visits WHERE visit_channel IS NOT NULL
  WINDOW w AS (PARTITION BY profile_id ORDER BY timestamp)
),
session_feats AS (SELECT profile_id, {_sessions()} FROM session_starts GROUP BY profile_id),
channel_feats AS (
  SELECT profile_id,
         avg(CASE WHEN visit_channel = 'app' THEN 1.0 ELSE 0.0 END) AS app_share,
         avg(CASE WHEN device_type = 'mobile' THEN 1.0 ELSE 0.0 END) AS mobile_share
  FROM visits WHERE visit_channel IS NOT NULL GROUP BY profile_id
),
activity AS (
  SELECT profile_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen,
         {_activity_windows()}
  FROM ev GROUP BY profile_id
)
SELECT a.profile_id,
       coalesce(o.orders_all, 0) AS orders_all,
       coalesce(o.revenue_all, 0) AS revenue_all,
       {", ".join(f"coalesce(o.orders_{d}d, 0) AS orders_{d}d" for d in WINDOWS)},
       {", ".join(f"coalesce(o.revenue_{d}d, 0) AS revenue_{d}d" for d in WINDOWS)},
       coalesce(o.revenue_all / nullif(o.orders_all, 0), 0) AS average_order_value,
       {_days("o.last_order_at")} AS days_since_last_order,
       {_days("o.first_order_at")} AS days_since_first_order,
       {_days("a.first_seen")} AS days_since_first_seen,
       {_days("a.last_seen")} AS days_since_last_activity,
       coalesce(p.products_bought, 0) AS products_bought,
       coalesce(c.categories_bought, 0) AS categories_bought,
       {
    ", ".join(f"coalesce(c.share_top{k}, 0) AS share_top{k}" for k in range(1, TOP_CATEGORIES + 1))
},
       {
    ", ".join(
        f"a.{n}_{d}d"
        for d in ACTIVITY_WINDOWS
        for n in ("page_views", "product_views", "cart_adds")
    )
},
       {", ".join(f"coalesce(x.sessions_{d}d, 0) AS sessions_{d}d" for d in ACTIVITY_WINDOWS)},
       coalesce(h.app_share, 0) AS app_share,
       coalesce(h.mobile_share, 0) AS mobile_share
FROM activity a
LEFT JOIN order_feats o USING (profile_id)
LEFT JOIN category_feats c USING (profile_id)
LEFT JOIN product_feats p USING (profile_id)
LEFT JOIN session_feats x USING (profile_id)
LEFT JOIN channel_feats h USING (profile_id)
ORDER BY a.profile_id
"""


@dataclass(frozen=True)
class Features:
    """One row per profile with any event before the cutoff, sorted by profile id."""

    ids: NDArray[np.object_]
    matrix: NDArray[np.float64]
    names: list[str]

    def column(self, name: str) -> NDArray[np.float64]:
        return self.matrix[:, self.names.index(name)]

    def rows(self, mask: NDArray[np.bool_]) -> Features:
        return Features(self.ids[mask], self.matrix[mask], self.names)


def feature_table(
    s: Session,
    settings: Settings,
    *,
    cutoff: datetime,
    categories_at: datetime | None = None,
    lookback_days: int | None = None,
) -> Features:
    """Features of every profile from its events before ``cutoff`` (and, with
    ``lookback_days``, not older than that: "all time" then means the look-back, so tables at
    different cutoffs describe equally long histories). The top categories whose spend shares
    are features are ranked on orders before ``categories_at`` (default: the cutoff; pass the
    earliest cutoff of a model so all its tables agree)."""
    at = categories_at or cutoff
    if at > cutoff:
        raise ValueError("categories_at must not be after the cutoff")
    since = cutoff - timedelta(days=lookback_days) if lookback_days is not None else EPOCH
    params = {"now": cutoff, "since": since, "categories_at": at, "currency": settings.currency}
    data = s.execute(FEATURES_SQL, params, step="predict.features").fetchnumpy()
    names = [n for n in data if n != "profile_id"]
    ids = np.asarray(data["profile_id"], dtype=object)
    if not len(ids):
        return Features(ids, np.zeros((0, len(names))), names)
    matrix = np.column_stack(
        [np.ma.filled(np.ma.asarray(data[n], dtype=np.float64), np.nan) for n in names]
    )
    return Features(ids, matrix, names)
