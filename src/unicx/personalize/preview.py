"""Previewing an offer's template for one person, in each language, before or after saving it.

The person's context is the one a decision would give the template (sensitive traits left
out; no traits at all without personalization consent), so the preview shows what they would
see. The template is checked and rendered like a saved one (static check, then the bounded
sandbox worker): a hostile template is a ValidationError naming ``template``, never a crash.
Nothing is logged: a preview is not a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.config import Settings
from unicx.errors import NotFoundError
from unicx.personalize import templates
from unicx.personalize.person import (
    RecProvider,
    personalization_allowed,
    top_products_provider,
    traits_of,
)
from unicx.personalize.sensitive import sensitive_traits
from unicx.store import Store

RECOMMENDATIONS_K = 6


@dataclass(frozen=True)
class Preview:
    profile_id: str
    personalized: bool  # False: no personalization consent, so no traits
    rendered: dict[str, str]  # locale -> content


def preview(
    store: Store,
    settings: Settings,
    *,
    template: str,
    channel: str,
    profile_id: str,
    locales: tuple[str, ...] = ("vi", "en"),
    now: datetime,
    recommendations: RecProvider | None = None,
) -> Preview:
    templates.check_static(template, channel=channel)
    with store.session() as s:
        if not s.fetchone(
            "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="personalize.p"
        ):
            raise NotFoundError(f"no profile {profile_id[:64]!r}")
        allowed = personalization_allowed(s, settings, profile_id)
        traits = traits_of(s, profile_id, sensitive_traits(s)) if allowed else {}
    context: dict[str, Any] = {
        "traits": traits, "offer": {"offer_id": "preview", "name": "preview"},
        "placement": "preview", "personalized": allowed, "now": now.isoformat(),
        "recommendations": [], "__tz": settings.timezone,
    }  # fmt: skip
    if "recommendations" in template:
        provider = recommendations or top_products_provider(store, settings, now=now)
        context["recommendations"] = provider(profile_id if allowed else None, RECOMMENDATIONS_K)
    rendered = {
        locale: templates.render(template, {**context, "locale": locale}, channel=channel)
        for locale in locales
    }
    return Preview(profile_id, allowed, rendered)
