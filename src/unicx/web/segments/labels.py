"""The words the segment pages show for the definition language's names (operators, kinds,
fields, purposes, templates). Marked with ``_`` for the catalogs; templates translate them."""

from __future__ import annotations

from unicx.segments.templates import BY_KEY
from unicx.web.segments.form import GEO_OPS

__all__ = ["GEO_OPS"]


def _(text: str) -> str:
    """Marks a label for extraction; templates translate it when they render."""
    return text


KINDS = {
    "all": _("All of these"),
    "any": _("Any of these"),
    "trait": _("Trait"),
    "event": _("Behaviour"),
    "segment": _("In segment"),
    "consent": _("Consent"),
    "has": _("Has identifier"),
    "context": _("Geography"),
    "json": _("JSON condition"),
}
# What the "add" buttons offer, in this order.
ADDABLE = ("trait", "event", "segment", "consent", "has", "context", "json")

OPS = {
    "eq": "=",
    "neq": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": _("is one of"),
    "not_in": _("is none of"),
    "between": _("is between"),
    "contains": _("contains"),
    "starts_with": _("starts with"),
    "exists": _("is set"),
    "not_exists": _("is not set"),
    "within_last": _("in the last"),
    "before_last": _("longer ago than"),
    "after": _("after"),
    "before": _("before"),
    "top_percent": _("in the top %%"),
}
COUNT_OPS = {
    "gte": _("at least"),
    "gt": _("more than"),
    "eq": _("exactly"),
    "lte": _("at most"),
    "lt": _("fewer than"),
}
UNITS = {"d": _("days"), "h": _("hours"), "w": _("weeks"), "m": _("minutes")}
CONTEXT_FIELDS = {
    "country": _("Country"),
    "city": _("Province / city"),
    "timezone": _("Time zone"),
    "locale": _("Language (locale)"),
    "device_type": _("Device type"),
    "os_name": _("Operating system"),
    "browser_name": _("Browser"),
    "channel": _("Channel"),
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
}
PURPOSES = {
    "email": _("E-mail"),
    "sms": "SMS",
    "push": _("Push notifications"),
    "ads": _("Advertising"),
    "personalization": _("Personalization"),
}
STATES = {"granted": _("granted"), "denied": _("denied"), "unknown": _("unknown")}
IDENTIFIERS = {"email": _("E-mail"), "phone": _("Phone"), "user_id": _("User id")}
SEGMENT_KINDS = {
    "custom": _("custom"),
    "template": _("template"),
    "persona": _("persona"),
    "lookalike": _("lookalike"),
}
TEMPLATES = {
    "high_value": (_("High-value customers"), _("The top 10%% of buyers by lifetime revenue.")),
    "at_risk": (
        _("At risk / churning"),
        _("Buyers who used to buy often or much and have not bought lately (RFM)."),
    ),
    "new_customers": (_("New customers"), _("First order in the last 30 days.")),
    "one_time_buyers": (
        _("One-time buyers"),
        _("Exactly one order so far: the audience for a second-purchase nudge."),
    ),
    "cart_abandoners": (
        _("Cart abandoners"),
        _("Added to cart in the last 7 days and did not order within a day after."),
    ),
    "dormant_subscribers": (
        _("Dormant subscribers"),
        _("Agreed to e-mail but not seen for 90 days."),
    ),
    "receptive_to_new": (
        _("Receptive to new products"),
        _("Bought a product launched in the last 90 days within 14 days of its launch."),
    ),
}
# Messages of the builder's own checks (the service's messages are shown as it words them).
NAME_RULE = _("Give the segment a name (at most 100 characters).")
DESCRIPTION_RULE = _("The description is at most 2,000 characters.")
EMPTY_RULE = _("Add at least one condition.")
K_RULE = _("The number of personas is from 2 to 20.")
LOOKALIKE_RULE = _("Give a number of people (1 or more) or a percentage (above 0, at most 50).")


def template_text(key: str) -> tuple[str, str]:
    """(title, description) catalog ids of a template (the domain's words if unmarked); the
    ids are written for Jinja's %-formatting, so a translated one still has ``%%``."""
    if key in TEMPLATES:
        return TEMPLATES[key]
    found = BY_KEY.get(key)
    return (found.title, found.description) if found else (key, "")


def template_title(key: str) -> str:
    return template_text(key)[0]
