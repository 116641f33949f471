"""The call identity makes after it changes profiles: refresh their derived tables.

The tables derived from a profile's events (traits, consent, segments) belong to domains above
identity, so identity does not import them: ``unicx.assembly`` installs the refresher here
(``profiles.derived.refresh_derived``) before any database is used.
"""

from __future__ import annotations

from collections.abc import Callable

from unicx.config import Settings
from unicx.store import Session

ProfilesChanged = Callable[[Session, Settings, list[str] | None], None]
_installed: list[ProfilesChanged] = []


def install(refresh: ProfilesChanged) -> None:
    """Called by ``unicx.assembly``; a later call replaces the refresher."""
    _installed[:] = [refresh]


def refresh_derived(session: Session, settings: Settings, profile_ids: list[str] | None) -> None:
    """Recompute derived rows for ``profile_ids`` (None: every profile) in ``session``."""
    if not _installed:
        # Loud rather than a silently stale profile: every entry point migrates through
        # unicx.assembly, which installs the refresher.
        raise RuntimeError("derived-table refresher not installed (see unicx.assembly)")
    _installed[0](session, settings, profile_ids)
