"""Reading the suppression list: addresses never messaged again on a channel (hard bounces,
unsubscribes, dead numbers), newest first, one page at a time (the dashboard's list)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from unicx.store import Store

MAX_PAGE = 500


class Suppression(BaseModel):
    channel: str
    address: str
    reason: str
    profile_id: str | None
    created_at: datetime


class SuppressionPage(BaseModel):
    total: int
    items: list[Suppression]


def list_suppressions(
    store: Store,
    *,
    channel: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SuppressionPage:
    """``search`` matches part of the address or the profile id (any case)."""
    where = (
        "WHERE ($c IS NULL OR channel = $c) AND ($q IS NULL OR "
        "contains(lower(address), lower($q)) "
        "OR contains(lower(coalesce(profile_id, '')), lower($q)))"
    )
    params = {"c": channel, "q": search or None}
    with store.session() as s:
        row = s.fetchone(
            f"SELECT count(*) FROM suppressions {where}", params, step="suppressions.count"
        )
        rows = s.fetch_dicts(
            f"SELECT channel, address, reason, profile_id, created_at FROM suppressions {where} "
            "ORDER BY created_at DESC, channel, address LIMIT $limit OFFSET $offset",
            {**params, "limit": max(1, min(limit, MAX_PAGE)), "offset": max(0, offset)},
            step="suppressions.list",
        )
    total = int(row[0]) if row else 0
    return SuppressionPage(total=total, items=[Suppression.model_validate(r) for r in rows])
