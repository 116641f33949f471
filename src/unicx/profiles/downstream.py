"""What runs after the profiles' own work, from domains above profiles: the consent and
segment refreshers of the derived-table chain, and the catalog step of a pipeline pass.

Those domains import profiles, so profiles cannot import them: ``unicx.assembly`` installs
them here before any database is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from unicx.config import Settings
from unicx.store import Session, Store

Refresher = Callable[[Session, Settings, list[str] | None], int]


class SegmentsRefresher(Protocol):
    def __call__(
        self,
        session: Session,
        settings: Settings,
        profile_ids: list[str] | None,
        *,
        now: datetime | None = None,
    ) -> int: ...


class CatalogStep(Protocol):
    def __call__(self, s: Session, /, *, since: datetime | None) -> object: ...


class MessageLog(Protocol):
    def __call__(
        self,
        store: Store,
        *,
        profile_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[BaseModel]: ...


@dataclass(frozen=True)
class Chain:
    """The refreshers after the traits, in dependency order (segments read traits and
    consents), what a pipeline pass does after identity (the catalog from events) and the
    message log of a profile's timeline (channels)."""

    consents: Refresher
    segments: SegmentsRefresher
    catalog: CatalogStep
    messages: MessageLog


_installed: list[Chain] = []


def install(chain: Chain) -> None:
    """Called by ``unicx.assembly``; a later call replaces the chain."""
    _installed[:] = [chain]


def chain() -> Chain:
    if not _installed:
        # Loud rather than silently stale segments: every entry point migrates through
        # unicx.assembly, which installs the chain.
        raise RuntimeError("derived-table chain not installed (see unicx.assembly)")
    return _installed[0]
