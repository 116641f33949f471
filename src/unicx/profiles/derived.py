"""Per-profile tables derived from events (traits, computed traits, consent, segments), kept in
step with identity: after a pass resolves or merges profiles, each refresher recomputes its rows
for the profiles touched (a merged-away profile has no events left, so its rows just go).

Consent and segments sit above profiles, so their refreshers come from
:mod:`unicx.profiles.downstream`, where ``unicx.assembly`` installs them.
"""

from __future__ import annotations

from unicx.config import Settings
from unicx.profiles.downstream import Refresher, chain
from unicx.profiles.refresh_scope import scope_for
from unicx.profiles.traits import refresh_traits
from unicx.store import Session


def refreshers() -> list[Refresher]:
    """Every derived-table refresher, in dependency order (traits before what reads them)."""
    installed = chain()
    return [refresh_traits, installed.consents, installed.segments]


def refresh_derived(session: Session, settings: Settings, profile_ids: list[str] | None) -> None:
    """Recompute derived rows for ``profile_ids`` (None: every profile)."""
    if profile_ids is not None and not profile_ids:
        return
    # One copy of the profiles' events serves every refresher (profiles/refresh_scope.py).
    with scope_for(session, profile_ids):
        for refresh in refreshers():
            refresh(session, settings, profile_ids)
