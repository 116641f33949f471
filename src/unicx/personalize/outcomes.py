"""Outcomes of decisions, the counters the bandit reads, and offline evaluation (IPS).

Design (stays fast as the log grows): a decision adds one trial to ``offer_stats`` for its
(placement, offer, bucket) and for the offer's global bucket ``*``, in the transaction that
logs it. Outcomes arrive as track events carrying ``properties.decision_id`` (``Offer Viewed``,
``Offer Clicked``, ``Offer Converted``, or an ``Order Completed``); before deciding, the events
*received* since a watermark are folded in: each decision's flags are set once, and the
counters of decisions whose click/conversion flag just flipped go up by one. A decision then
reads a few counter rows, never the log or the events table as a whole. Events received in the
last :data:`GRACE_S` seconds wait for the next pass, so a flush committing late is not skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from unicx.personalize.bandit import GLOBAL, Counts
from unicx.store import Session

GRACE_S = 2.0
OUTCOME_EVENTS = ("Offer Viewed", "Offer Clicked", "Offer Converted", "Order Completed")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEW = "unicx_offer_outcomes"

_COLLECT = f"""CREATE OR REPLACE TEMP TABLE {_NEW} AS
SELECT d.decision_id, d.placement, d.offer_id, d.bucket, d.reason,
       o.viewed AND NOT d.viewed AS new_view,
       o.clicked AND NOT d.clicked AS new_click,
       o.converted AND NOT d.converted AS new_conversion
FROM (
  SELECT json_extract_string(properties, '$.decision_id') AS decision_id,
         bool_or(event = 'Offer Viewed') AS viewed,
         bool_or(event = 'Offer Clicked') AS clicked,
         bool_or(event IN ('Offer Converted', 'Order Completed')) AS converted
  FROM events
  WHERE received_at > $since AND received_at <= $upto AND type = 'track'
    AND list_contains($names, event)
    AND json_extract_string(properties, '$.decision_id') IS NOT NULL
  GROUP BY 1
) o JOIN decisions d USING (decision_id)"""

_FLAGS = f"""UPDATE decisions SET viewed = decisions.viewed OR n.new_view,
    clicked = decisions.clicked OR n.new_click, converted = decisions.converted OR n.new_conversion
FROM {_NEW} n WHERE decisions.decision_id = n.decision_id"""

_COUNT = f"""INSERT INTO offer_stats
SELECT placement, offer_id, b, 0, sum(new_click::INTEGER), sum(new_conversion::INTEGER)
FROM (SELECT *, bucket AS b FROM {_NEW} UNION ALL SELECT *, '{GLOBAL}' AS b FROM {_NEW})
WHERE reason = 'policy' AND offer_id IS NOT NULL AND (new_click OR new_conversion)
GROUP BY ALL
ON CONFLICT DO UPDATE SET clicks = offer_stats.clicks + excluded.clicks,
    conversions = offer_stats.conversions + excluded.conversions"""


def sync_outcomes(session: Session, *, now: datetime) -> int:
    """Fold outcome events received since the watermark in; returns the state version (how
    many passes changed a counter). Run inside the caller's transaction."""
    row = session.fetchone(
        "SELECT watermark, counter FROM personalize_state WHERE key = 'outcomes'",
        step="personalize.state",
    )
    since, version = (row[0] or _EPOCH, int(row[1])) if row else (_EPOCH, 0)
    upto = now - timedelta(seconds=GRACE_S)
    if upto <= since:
        return version
    params = {"since": since, "upto": upto, "names": list(OUTCOME_EVENTS)}
    session.execute(_COLLECT, params, step="personalize.outcomes")
    changed = session.fetchone(
        f"SELECT count(*) FILTER (WHERE new_view OR new_click OR new_conversion) FROM {_NEW}",
        step="personalize.outcomes_count",
    )
    if changed and int(changed[0]):
        session.execute(_FLAGS, step="personalize.outcome_flags")
        session.execute(_COUNT, step="personalize.outcome_counts")
        version += 1
    session.execute(f"DROP TABLE IF EXISTS {_NEW}", step="personalize.outcomes_drop")
    session.execute(
        "INSERT OR REPLACE INTO personalize_state VALUES ('outcomes', ?, ?)",
        [upto, version],
        step="personalize.state_set",
    )
    return version


def count_trial(session: Session, placement: str, offer_id: str, bucket: str) -> None:
    session.execute(
        "INSERT INTO offer_stats VALUES ($p, $o, $b, 1, 0, 0), ($p, $o, $g, 1, 0, 0) "
        "ON CONFLICT DO UPDATE SET trials = offer_stats.trials + 1",
        {"p": placement, "o": offer_id, "b": bucket, "g": GLOBAL},
        step="personalize.trial",
    )


def load_stats(
    session: Session, placement: str, offer_ids: Sequence[str], bucket: str, *, reward: str
) -> dict[tuple[str, str], Counts]:
    """The counters of ``offer_ids`` in ``bucket`` and globally, as the bandit reads them."""
    column = "clicks" if reward == "click" else "conversions"  # from a fixed pair
    rows = session.fetchall(
        f"SELECT offer_id, bucket, trials, {column} FROM offer_stats WHERE placement = ? "
        "AND list_contains(?, offer_id) AND bucket IN (?, ?)",
        [placement, list(offer_ids), bucket, GLOBAL],
        step="personalize.stats",
    )
    return {(str(o), str(b)): Counts(float(t), float(s)) for o, b, t, s in rows}


# -- offline evaluation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """One logged decision with its reward."""

    context: Mapping[str, Any]
    offer_id: str
    propensity: float
    reward: float


@dataclass(frozen=True)
class IpsEstimate:
    value: float  # inverse propensity scoring: mean of reward * pi(a|x) / p
    self_normalized: float  # SNIPS: the same, divided by the mean importance weight
    n: int


Target = Callable[[Logged], Mapping[str, float]]


def ips_estimate(log: Sequence[Logged], target: Target) -> IpsEstimate:
    """Estimate the mean reward ``target`` (context -> choice probabilities) would have had
    on the logged traffic, from decisions made by the logging policy."""
    if not log:
        return IpsEstimate(0.0, 0.0, 0)
    weights = [target(x).get(x.offer_id, 0.0) / x.propensity for x in log]
    total = sum(w * x.reward for w, x in zip(weights, log, strict=True))
    mean_w = sum(weights) / len(log)
    value = total / len(log)
    return IpsEstimate(value, value / mean_w if mean_w > 0 else 0.0, len(log))


def decision_log(session: Session, placement: str, *, reward: str = "conversion") -> list[Logged]:
    """The policy's decisions of ``placement`` (holdout and fallbacks excluded), rewarded."""
    column = "clicked" if reward == "click" else "converted"  # from a fixed pair
    rows = session.fetchall(
        f"SELECT context, offer_id, propensity, {column} FROM decisions "
        "WHERE placement = ? AND reason = 'policy' ORDER BY decided_at, decision_id",
        [placement],
        step="personalize.log",
    )
    return [Logged(json.loads(str(c)), str(o), float(p), float(r)) for c, o, p, r in rows]
