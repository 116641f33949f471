"""Segment definitions whose compiled SQL is snapshot-tested: every condition kind, operator
and option the compiler knows, and the five segments a shop starts with."""

from __future__ import annotations

from typing import Any

from unicx.segments.vocabulary import Trait, Vocabulary

VOCAB = Vocabulary(
    traits={
        "revenue": Trait("revenue", "builtin", "number"),
        "first_seen": Trait("first_seen", "builtin", "time"),
        "plan": Trait("plan", "profile", "string"),
        "newsletter": Trait("newsletter", "profile", "bool"),
        "churn_risk": Trait("churn_risk", "model", "number"),
        "favourite": Trait("favourite", "computed", "any"),
    },
    events={"Order Completed", "Product Added"},
    properties={
        "Order Completed": {
            "category": "VARCHAR",
            "revenue": "BIGINT",
            "coupon": "BOOLEAN",
            "products[].sku": "VARCHAR",
            "products[].category": "VARCHAR",
        },
        "Product Added": {"sku": "VARCHAR"},
    },
)
SEGMENTS = {"vip": "seg_vip", "seg_vip": "seg_vip"}

ORDER = "Order Completed"


def _where(op: str, value: Any = None, prop: str = "category") -> dict[str, Any]:
    cond: dict[str, Any] = {"property": prop, "op": op}
    if value is not None:
        cond["value"] = value
    return {"event": ORDER, "where": [cond]}


def _trait(name: str, op: str, value: Any = None) -> dict[str, Any]:
    cond: dict[str, Any] = {"trait": name, "op": op}
    if value is not None:
        cond["value"] = value
    return cond


DEFINITIONS: dict[str, dict[str, Any]] = {
    # The five a shop starts with.
    "whisky_twice_30d": {
        "event": ORDER, "within": "30d", "count": {"gte": 2},
        "where": [{"property": "category", "op": "eq", "value": "whisky"}],
    },
    "cart_abandoners": {
        "event": "Product Added", "within": "7d",
        "not_followed_by": {"event": ORDER, "within": "1d"},
    },
    "big_spender_mailable_vn": {
        "all": [
            {"event": ORDER, "within": "90d", "sum": {"property": "revenue", "gte": 5000000}},
            {"consent": "email"},
            {"context": "country", "op": "in", "value": ["VN"]},
            {"not": {"trait": "plan", "op": "eq", "value": "free"}},
        ]
    },
    "churn_risk_or_new": {
        "any": [
            {"trait": "churn_risk", "op": "gte", "value": 0.7},
            {"trait": "first_seen", "op": "within_last", "value": "7d"},
            {"trait": "revenue", "op": "top_percent", "value": 10},
        ]
    },
    "no_order_30d": {"event": ORDER, "within": "30d", "count": {"lt": 1}},
    # Events: windows, counts, sums, follow-ups, special events.
    "event_ever": {"event": ORDER},
    "event_window_from_to": {"event": ORDER, "within": {"from": "2026-01-01", "to": "2026-02-01"}},
    "event_window_from": {"event": ORDER, "within": {"from": "2026-01-01"}},
    "event_count_between": {"event": ORDER, "count": {"between": [2, 5]}},
    "event_count_eq_0": {"event": ORDER, "within": "14d", "count": {"eq": 0}},
    "event_sum_lt": {"event": ORDER, "sum": {"property": "revenue", "lt": 100000}},
    "event_not_followed_by_where": {
        "event": "Product Added",
        "not_followed_by": {
            "event": ORDER, "within": "2h",
            "where": [{"property": "category", "op": "eq", "value": "shoes"}],
        },
    },
    "special_page": {"event": "$page", "within": "1d"},
    "special_identify": {"event": "$identify"},
    # Event properties: every operator, nested keys and the products[] list.
    "property_neq": _where("neq", "whisky"),
    "property_gt_number": _where("gt", 100000, "revenue"),
    "property_in": _where("in", ["whisky", "gin"]),
    "property_not_in": _where("not_in", ["whisky", "gin"]),
    "property_between": _where("between", [10, 20], "revenue"),
    "property_contains": _where("contains", "Whi"),
    "property_starts_with": _where("starts_with", "wh"),
    "property_exists": _where("exists"),
    "property_not_exists": _where("not_exists"),
    "property_bool": _where("eq", True, "coupon"),
    "property_nested": _where("eq", "HCM", "revenue.city"),
    "products_eq": _where("eq", "SKU-1", "products[].sku"),
    "products_in": _where("in", ["whisky", "gin"], "products[].category"),
    "products_exists": _where("exists", None, "products[].sku"),
    # Traits: each source and type, every operator family.
    "trait_number_between": _trait("revenue", "between", [100, 200]),
    "trait_number_in": _trait("revenue", "in", [1, 2]),
    "trait_time_before_last": _trait("first_seen", "before_last", "90d"),
    "trait_time_after": _trait("first_seen", "after", "2026-01-01"),
    "trait_time_before": _trait("first_seen", "before", "2026-01-01T08:00:00+07:00"),
    "trait_exists": _trait("revenue", "exists"),
    "trait_not_exists": _trait("plan", "not_exists"),
    "trait_string_contains": _trait("plan", "contains", "pro"),
    "trait_string_starts_with": _trait("plan", "starts_with", "pro"),
    "trait_string_not_in": _trait("plan", "not_in", ["free", "trial"]),
    "trait_bool": _trait("newsletter", "eq", True),
    "trait_model_lt": _trait("churn_risk", "lt", 0.2),
    "trait_custom_neq": _trait("favourite", "neq", "gin"),
    # Context of the latest event.
    "context_eq_within": {"context": "city", "op": "eq", "value": "Hanoi", "within": "30d"},
    "context_not_exists": {"context": "utm_source", "op": "not_exists"},
    "context_starts_with": {"context": "locale", "op": "starts_with", "value": "vi"},
    # Membership, consent, identifiers, early adopters.
    "segment_ref": {"segment": "vip"},
    "consent_denied": {"consent": "sms", "state": "denied"},
    "consent_unknown": {"consent": "push", "state": "unknown"},
    "has_email": {"has": "email"},
    "has_push_token": {"has": "push_token"},
    "early_adopter_product": {"early_adopter": {}},
    "early_adopter_category": {
        "early_adopter": {"level": "category", "launched_within": "30d", "bought_within": "7d"}
    },
    # Boolean trees, and the same condition twice (unique step names).
    "nested_groups": {
        "any": [
            {"all": [{"segment": "vip"}, {"not": {"consent": "email", "state": "denied"}}]},
            {"not": {"any": [{"has": "phone"}, {"context": "country", "op": "eq", "value": "TH"}]}},
        ]
    },
    "same_condition_twice": {"any": [{"event": ORDER}, {"not": {"event": ORDER}}]},
}  # fmt: skip
