"""RFM scoring: recency, frequency and monetary quintile scores of buyers and their segment.

Scores are 1-5 against quintile boundaries (20/40/60/80th percentiles, ``quantile_cont``) of
every buyer in the workspace, so an incremental refresh of a few profiles scores them against
the current workspace distribution: the boundaries are taken over the fresh values of the
profiles being refreshed plus the stored order traits of every other buyer. Equal values always
get equal scores (unlike ``NTILE``, which splits ties arbitrarily). A value equal to a boundary
counts for the buyer in recency (a lone or same-day buyer is recent, so a first buyer is a "New
Customer") and against in frequency and monetary (where ties pile up at the minimum: the many
one-order buyers get F = 1).
"""

from __future__ import annotations

from unicx.profiles.computed_sql import LOCAL_TODAY, local_date

# The common R vs FM grid (FM = (F + M) / 2 rounded up); rows are R = 5..1, columns FM = 1..5.
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers",
        "Loyal Customers"),
    3: ("About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers",
        "Loyal Customers"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
}  # fmt: skip

SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)


def segment_for(r: int, f: int, m: int) -> str:
    """The segment of a score triple (the same map the SQL applies)."""
    return SEGMENT_GRID[r][(f + m + 1) // 2 - 1]


def _grid_values() -> str:
    rows = []
    for r, names in SEGMENT_GRID.items():
        for fm, name in enumerate(names, start=1):
            quoted = name.replace("'", "''")
            rows.append(f"({r}, {fm}, '{quoted}')")
    return ", ".join(rows)


def _score(column: str, bounds: str, op: str) -> str:
    return "1 + " + " + ".join(f"({column} {op} {bounds}[{i}])::INT" for i in range(1, 5))


# Order traits already stored for buyers outside the refresh (their rows were not deleted).
STORED_BUYERS = """
  UNION ALL
  SELECT profile_id,
         max(CASE WHEN name = 'last_order_at' THEN CAST(value->>'$' AS TIMESTAMPTZ) END),
         max(CASE WHEN name = 'orders_count' THEN CAST(value AS DOUBLE) END),
         max(CASE WHEN name = 'revenue' THEN CAST(value AS DOUBLE) END)
  FROM computed_traits WHERE name IN ('last_order_at', 'orders_count', 'revenue')
  GROUP BY profile_id
  HAVING max(CASE WHEN name = 'orders_count' THEN CAST(value AS DOUBLE) END) > 0"""


def rfm_steps(*, include_stored: bool) -> str:
    """CTE steps ``rfm_*`` ending in ``rfm`` (one row per buyer in scope)."""
    stored = STORED_BUYERS if include_stored else ""
    quintiles = "[0.2, 0.4, 0.6, 0.8]"
    return f"""rfm_buyers AS (
  SELECT profile_id, last_order_at, orders_count::DOUBLE AS orders_count, revenue
  FROM order_totals WHERE orders_count > 0{stored}
),
rfm_base AS (
  SELECT profile_id,
         date_diff('day', {local_date("last_order_at")}, {LOCAL_TODAY}) AS recency,
         orders_count AS frequency, revenue AS monetary
  FROM rfm_buyers
),
rfm_bounds AS (
  SELECT quantile_cont(recency, {quintiles}) AS rb, quantile_cont(frequency, {quintiles}) AS fb,
         quantile_cont(monetary, {quintiles}) AS mb
  FROM rfm_base
),
rfm_scores AS (
  SELECT b.profile_id, {_score("recency", "rb", "<=")} AS r,
         {_score("frequency", "fb", ">")} AS f, {_score("monetary", "mb", ">")} AS m
  FROM rfm_base b CROSS JOIN rfm_bounds
  WHERE b.profile_id IN (SELECT profile_id FROM order_totals WHERE orders_count > 0)
),
rfm_grid AS (SELECT * FROM (VALUES {_grid_values()}) g(r, fm, segment)),
rfm AS (
  SELECT s.profile_id, s.r AS rfm_recency_score, s.f AS rfm_frequency_score,
         s.m AS rfm_monetary_score, concat(s.r, s.f, s.m) AS rfm_score, g.segment AS rfm_segment
  FROM rfm_scores s JOIN rfm_grid g ON g.r = s.r AND g.fm = (s.f + s.m + 1) // 2
)"""
