"""Built-in lifecycle segments marketers ask for, as ordinary definitions they can edit.

A template is saved as a segment of kind ``template`` under its title; unknown event names are
warnings, not errors, so a new workspace can set them up before the first order arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.errors import NotFoundError
from unicx.segments.models import SegmentCreate, SegmentPublic
from unicx.segments.service import SegmentService


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    description: str
    definition: dict[str, Any]


TEMPLATES: tuple[Template, ...] = (
    Template(
        "high_value",
        "High-value customers",
        "The top 10% of buyers by lifetime revenue.",
        {"trait": "revenue", "op": "top_percent", "value": 10},
    ),
    Template(
        "at_risk",
        "At risk / churning",
        "Buyers who used to buy often or much and have not bought lately (RFM).",
        {
            "trait": "rfm_segment",
            "op": "in",
            "value": ["At Risk", "Can't Lose Them", "About To Sleep"],
        },
    ),
    Template(
        "new_customers",
        "New customers",
        "First order in the last 30 days.",
        {"trait": "first_order_at", "op": "within_last", "value": "30d"},
    ),
    Template(
        "one_time_buyers",
        "One-time buyers",
        "Exactly one order so far: the audience for a second-purchase nudge.",
        {"trait": "orders_count", "op": "eq", "value": 1},
    ),
    Template(
        "cart_abandoners",
        "Cart abandoners",
        "Added to cart in the last 7 days and did not order within a day after.",
        {
            "event": "Product Added",
            "within": "7d",
            "not_followed_by": {"event": "Order Completed", "within": "1d"},
        },
    ),
    Template(
        "dormant_subscribers",
        "Dormant subscribers",
        "Agreed to e-mail but not seen for 90 days.",
        {
            "all": [
                {"consent": "email"},
                {"trait": "last_seen", "op": "before_last", "value": "90d"},
            ]
        },
    ),
    Template(
        "receptive_to_new",
        "Receptive to new products",
        "Bought a product launched in the last 90 days within 14 days of its launch.",
        {"early_adopter": {"level": "product", "launched_within": "90d", "bought_within": "14d"}},
    ),
)
BY_KEY = {t.key: t for t in TEMPLATES}


def template(key: str) -> Template:
    found = BY_KEY.get(key)
    if found is None:
        raise NotFoundError(f"no template {key[:64]!r}; one of {', '.join(BY_KEY)}")
    return found


def create_from_template(
    service: SegmentService,
    key: str,
    *,
    name: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> SegmentPublic:
    t = template(key)
    body = SegmentCreate(
        name=name or t.title, description=t.description, definition=t.definition, kind="template"
    )
    return service.create(body, actor=actor, strict=False, now=now)
