"""Affinity: pairs of items bought by the same people, with support, confidence and lift.

The baskets are people, not orders: among the buyers of the range (and segment) whose counted
orders name an item, a person "bought" every item of which they kept a positive quantity. For
the ordered pair (a, b): support = both / buyers, confidence = both / buyers of a, and
lift = confidence / (buyers of b / buyers): "buyers of a are lift times as likely as the
average buyer to buy b".
"""

from __future__ import annotations

from typing import Any

from unicx.reports.models import ItemLevel
from unicx.reports.products import sales_steps
from unicx.reports.scope import Window, fetch, ratio
from unicx.store import Session


def sql(window: Window, level: ItemLevel, *, item: bool) -> str:
    only = "AND a.item = $item" if item else ""
    names = "arg_max(name, ordered_at) FILTER (WHERE name IS NOT NULL)"
    if level == "category":
        names = "NULL::VARCHAR"
    return f"""WITH {sales_steps(window, level)},
basket AS (
  SELECT profile_id, item FROM sold GROUP BY profile_id, item HAVING sum(quantity) > 0
),
total AS (SELECT count(DISTINCT profile_id) AS buyers FROM basket),
items AS (
  SELECT b.item, b.n, l.name FROM (SELECT item, count(*) AS n FROM basket GROUP BY item) b
  LEFT JOIN (SELECT item, {names} AS name FROM sold GROUP BY item) l USING (item)
),
pairs AS (
  SELECT a.item AS item_a, b.item AS item_b, count(*) AS both_n
  FROM basket a JOIN basket b ON a.profile_id = b.profile_id AND a.item <> b.item {only}
  GROUP BY a.item, b.item
  HAVING count(*) >= $min_count
),
ranked AS (
  SELECT p.item_a, ia.name AS name_a, p.item_b, ib.name AS name_b, ia.n AS buyers_a,
         ib.n AS buyers_b, p.both_n AS buyers_both,
         {ratio("p.both_n", "t.buyers")} AS support,
         {ratio("p.both_n", "ia.n")} AS confidence,
         {ratio("p.both_n * t.buyers", "ia.n * ib.n")} AS lift
  FROM pairs p CROSS JOIN total t
  JOIN items ia ON ia.item = p.item_a
  JOIN items ib ON ib.item = p.item_b
  WHERE {ratio("p.both_n", "t.buyers")} >= $min_support
  ORDER BY lift DESC, buyers_both DESC, p.item_a, p.item_b
  LIMIT $limit
)
-- The total rides along, so an answer without pairs still says how many buyers there were.
SELECT t.buyers, r.* FROM total t LEFT JOIN ranked r ON true
ORDER BY r.lift DESC, r.buyers_both DESC, r.item_a, r.item_b"""


def run(
    session: Session,
    window: Window,
    *,
    level: ItemLevel,
    min_support: float,
    min_count: int,
    item: str | None,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """The number of buyers and the pairs."""
    params = window.params(min_support=min_support, min_count=min_count, item=item, limit=limit)
    query = sql(window, level, item=item is not None)
    found = fetch(session, query, params, step="reports.affinity")
    pairs = [
        {k: v for k, v in r.items() if k != "buyers"} for r in found if r["item_a"] is not None
    ]
    return int(found[0]["buyers"]), pairs
