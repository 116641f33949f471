"""The built-in computed traits, by name, with a one-line definition (docs/traits.md has more)."""

from __future__ import annotations

BUILTIN_TRAITS: dict[str, str] = {
    "first_seen": "Time of the profile's first event (ISO-8601, UTC).",
    "last_seen": "Time of the profile's latest event (ISO-8601, UTC).",
    "sessions": "Visits: distinct context.sessionId, else 30-minute inactivity sessions "
    "over web/app page, screen and track events.",
    "page_views": "Number of page and screen events.",
    "orders_count": "Orders with a positive value not fully refunded (workspace currency).",
    "revenue": "Sum of order values minus refunds and returned lines (workspace currency).",
    "average_order_value": "revenue / orders_count.",
    "first_order_at": "Time of the first counted order (ISO-8601, UTC).",
    "last_order_at": "Time of the latest counted order (ISO-8601, UTC).",
    "days_since_last_order": "Calendar days in the workspace time zone since the last order.",
    "spend_30d": "Net order value of the last 30 local calendar days, today included.",
    "spend_90d": "Net order value of the last 90 local calendar days, today included.",
    "spend_365d": "Net order value of the last 365 local calendar days, today included.",
    "rfm_recency_score": "1-5: quintile of days since last order among buyers (5 = most recent).",
    "rfm_frequency_score": "1-5: quintile of orders_count among buyers (5 = most orders).",
    "rfm_monetary_score": "1-5: quintile of revenue among buyers (5 = highest).",
    "rfm_score": "The three scores as a string, e.g. '545'.",
    "rfm_segment": "Segment name from the R vs (F+M)/2 grid (Champions ... Lost).",
    "favourite_category": "Category bought in the largest quantity (then revenue, then name).",
    "preferred_channel": "web or app: where most of the person's visits happen.",
    "preferred_device": "Most frequent device type (desktop, mobile, tablet) of visits.",
    "time_of_day": "morning (5-11), afternoon (12-16), evening (17-21) or night (22-4): "
    "most frequent local hour bucket of visits.",
}

BUILTIN_NAMES: frozenset[str] = frozenset(BUILTIN_TRAITS)
