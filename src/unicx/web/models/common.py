"""The tabs under Models, shown when the role may open them."""

from __future__ import annotations

from unicx.auth.models import Permission
from unicx.web.nav import _

TABS = (
    ("/models", _("Model runs"), Permission.models_read),
    ("/models/offers", _("Offers and content"), Permission.personalize_serve),
    ("/models/rules", _("Recommendation rules"), Permission.personalize_serve),
)
