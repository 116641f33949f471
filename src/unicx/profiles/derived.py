"""Per-profile tables derived from events (traits, computed traits, consent), kept in step with
identity: after a pass resolves or merges profiles, each refresher recomputes its rows for the
profiles touched (a merged-away profile has no events left, so its rows just go)."""

from __future__ import annotations

from collections.abc import Callable

from unicx.config import Settings
from unicx.profiles.scope import scope_for
from unicx.store import Session

Refresher = Callable[[Session, Settings, list[str] | None], int]


def refreshers() -> list[Refresher]:
    """Every derived-table refresher, in dependency order (traits before what reads them)."""
    # Imported here: those modules import the store and settings, not identity, but identity
    # imports this module, so a top-level import would tie the packages in a cycle.
    from unicx.privacy.consent import refresh_consents
    from unicx.profiles.traits import refresh_traits
    from unicx.segments.refresh import refresh_segments

    # Segments last: their conditions read traits and consents.
    return [refresh_traits, refresh_consents, refresh_segments]


def refresh_derived(session: Session, settings: Settings, profile_ids: list[str] | None) -> None:
    """Recompute derived rows for ``profile_ids`` (None: every profile)."""
    if profile_ids is not None and not profile_ids:
        return
    # One copy of the profiles' events serves every refresher (profiles/scope.py).
    with scope_for(session, profile_ids):
        for refresh in refreshers():
            refresh(session, settings, profile_ids)
