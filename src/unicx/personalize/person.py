"""What a decision knows about the person: consent, traits (sensitive ones removed), the
context bucket, the holdout draw, and the fallback recommendation provider."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from unicx.config import Settings
from unicx.profiles.orders_sql import ORDER_CORE_STEPS, ORDER_LINES_STEP
from unicx.store import Session, Store

# profile_id (None: non-personalized) and k -> items with item_id, name, category, price, ...
RecProvider = Callable[[str | None, int], list[dict[str, Any]]]
DEVICES = ("mobile", "tablet", "desktop")
BANDS = ((6, "night"), (12, "morning"), (18, "afternoon"), (24, "evening"))
TOP_PRODUCTS_DAYS = 90
TOP_PRODUCTS_TTL_S = 300.0


def personalization_allowed(session: Session, settings: Settings, profile_id: str) -> bool:
    """Consent to the ``personalization`` purpose (opt-in by default, see Settings)."""
    row = session.fetchone(
        "SELECT granted FROM consents WHERE profile_id = ? AND purpose = 'personalization'",
        [profile_id],
        step="personalize.consent",
    )
    return bool(row[0]) if row else not settings.personalization_opt_in


def traits_of(session: Session, profile_id: str, hidden: set[str]) -> dict[str, Any]:
    """The person's traits by name, sensitive ones (``hidden``) left out. Computed traits win
    over model outputs, which win over traits people sent (as segments resolve names)."""
    return traits_of_many(session, [profile_id], hidden).get(profile_id, {})


def traits_of_many(
    session: Session, profile_ids: list[str], hidden: set[str]
) -> dict[str, dict[str, Any]]:
    """:func:`traits_of` for several people in one query (each query scans three tables)."""
    rows = session.fetchall(
        "WITH ids AS (SELECT unnest($ids::VARCHAR[]) AS profile_id) "
        "SELECT profile_id, name, value, 1 AS rank FROM computed_traits SEMI JOIN ids "
        "USING (profile_id) "
        "UNION ALL SELECT profile_id, name, value, 2 FROM model_traits SEMI JOIN ids "
        "USING (profile_id) "
        "UNION ALL SELECT profile_id, name, value, 3 FROM profile_traits SEMI JOIN ids "
        "USING (profile_id) "
        "ORDER BY rank DESC",
        {"ids": sorted(set(profile_ids))},
        step="personalize.traits",
    )
    out: dict[str, dict[str, Any]] = {}
    for pid, name, value, _ in rows:  # later (higher priority) rows overwrite
        if str(name) not in hidden:
            person = out.setdefault(str(pid), {})
            person[str(name)] = json.loads(str(value)) if value is not None else None
    return out


def in_holdout(profile_id: str, placement: str, percent: float) -> bool:
    """A stable draw: the same person stays in (or out of) a placement's holdout."""
    digest = hashlib.sha256(f"{placement}\x00{profile_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < percent / 100.0


def time_band(now: datetime, timezone: str) -> str:
    hour = now.astimezone(ZoneInfo(timezone)).hour
    return next(name for end, name in BANDS if hour < end)


def context_of(
    traits: dict[str, Any],
    *,
    device: str | None,
    country: str | None,
    now: datetime,
    timezone: str,
) -> dict[str, str]:
    """The bandit's context: segment (persona, else RFM segment), device, time band, country;
    request values win over what the profile says."""
    segment = traits.get("persona") or traits.get("rfm_segment") or "-"
    device = (device or str(traits.get("preferred_device") or "unknown")).lower()
    country = (country or str(traits.get("country") or "-")).upper()
    return {
        "segment": str(segment)[:40],
        "device": device if device in DEVICES or device == "unknown" else "other",
        "time_band": time_band(now, timezone),
        "country": country[:2] if country != "-" else "-",
    }


def bucket_of(context: dict[str, str]) -> str:
    return "|".join(context[k] for k in ("segment", "device", "time_band", "country"))


_TOP_SQL = f"""WITH ev AS (
  SELECT profile_id, message_id, timestamp, type, event, properties FROM event_profiles
  WHERE profile_id IS NOT NULL AND type = 'track'
    AND event IN ('Order Completed', 'Order Refunded') AND timestamp >= $since
),
{ORDER_CORE_STEPS},
{ORDER_LINES_STEP}
SELECT product_id AS item_id, any_value(name) AS name, any_value(category) AS category,
       sum(quantity) AS quantity, sum(amount) / nullif(sum(quantity), 0) AS price
FROM order_lines WHERE product_id IS NOT NULL
GROUP BY product_id HAVING sum(quantity) > 0
ORDER BY quantity DESC, item_id LIMIT $k"""

_top_cache: dict[tuple[str, int], tuple[float, list[dict[str, Any]]]] = {}
_top_lock = threading.Lock()


def top_products_provider(store: Store, settings: Settings, *, now: datetime) -> RecProvider:
    """The workspace's most bought products of the last 90 days (the same for everyone),
    cached a few minutes: the fallback when no recommendation service answers."""

    def provide(profile_id: str | None, k: int) -> list[dict[str, Any]]:
        del profile_id  # the same list for everyone
        key = (str(store.path), k)
        with _top_lock:
            hit = _top_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TOP_PRODUCTS_TTL_S:
            return hit[1]
        with store.session() as s:
            rows = s.fetch_dicts(
                _TOP_SQL,
                {"since": now - timedelta(days=TOP_PRODUCTS_DAYS), "k": k,
                 "currency": settings.currency},
                step="personalize.top_products",
            )  # fmt: skip
        items = [{**r, "quantity": float(r["quantity"])} for r in rows]
        with _top_lock:
            _top_cache[key] = (time.monotonic(), items)
        return items

    return provide
