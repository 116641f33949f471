"""Public (API) models of the recommend domain: answers, catalog pages, the placement report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RecommendedItem(BaseModel):
    item_id: str
    score: float
    category: str | None = None
    name: str | None = None
    price: float | None = None
    currency: str | None = None
    image: str | None = None
    url: str | None = None


class Recommendations(BaseModel):
    recommendation_id: str = Field(
        description="Send it back as properties.recommendation_id of Product Clicked"
    )
    profile_id: str | None
    placement: str
    context: str
    personalized: bool = Field(
        description="False: non-personalized (trending or similar items); `reason` says why"
    )
    reason: str | None = Field(
        default=None,
        description="Why the answer is not personalized: no personalization consent (with the "
        "workspace consent model), consent withdrawn, model not trained, no history",
    )
    model_version: str | None = Field(description="None before the first training run")
    items: list[RecommendedItem]


class CatalogItemPublic(BaseModel):
    item_id: str
    name: str | None
    category: str | None
    price: float | None
    currency: str | None = None
    available: bool
    image: str | None
    url: str | None
    launched_at: datetime | None
    updated_at: datetime
    source: str = Field(
        default="feed",
        description="feed: from the catalog API or import; events: filled from product and "
        "order events until a feed sends the item",
    )


class CatalogPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[CatalogItemPublic]


class PlacementRow(BaseModel):
    placement: str
    served: int
    clicks: int
    click_through_rate: float = Field(description="Answers with a click / answers served")
    orders: int = Field(description="Orders with a clicked item within the attribution window")
    revenue: float = Field(description="Their lines' amount, workspace currency")
