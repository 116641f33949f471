"""Rendering a queued message for its person at send time (traits as they are now,
recommendations, tracking and unsubscribe links), in the personalization sandbox."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.channels.base import TerminalSendError, get_channel
from unicx.config import Settings
from unicx.errors import ValidationError
from unicx.personalize.person import top_products_provider, traits_of_many
from unicx.personalize.sensitive import sensitive_traits
from unicx.personalize.templates import render
from unicx.store import Session, Store

RECOMMENDED = 4
# Where an offer's rendered template goes on each channel (its name fills the title/subject).
OFFER_PARTS = {
    "email": ("subject", "html"),
    "sms": (None, "text"),
    "push": ("title", "body"),
    "web": ("title", "body"),
    "in_app": ("title", "body"),
}


# A trait marked sensitive stops appearing in messages within this many seconds.
SENSITIVE_TTL_S = 5.0


@dataclass(frozen=True)
class NodeContent:
    """What a journey node sends: its templates by part (or an offer's) and their locale."""

    parts: dict[str, str]
    locale: str
    offer: str | None = None


# (journey, version, node) -> what the node sends, None when it sends no message.
JourneyContent = Callable[[str, int, str], NodeContent | None]
# Journeys sit above channels: the assembly installs how a store's journey nodes are read.
_journey_content: list[Callable[[Store], JourneyContent]] = []


def install_journey_content(factory: Callable[[Store], JourneyContent]) -> None:
    """Called once by ``unicx.assembly``; a later call replaces the reader."""
    _journey_content[:] = [factory]


def _no_journeys(journey_id: str, version: int, node_id: str) -> NodeContent | None:
    raise TerminalSendError(f"journey {journey_id} cannot be read (unicx.assembly not installed)")


class Renderer:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        recommendations: Callable[[str, int], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.journey_content = _journey_content[0](store) if _journey_content else _no_journeys
        self._recommendations = recommendations
        self._sensitive: tuple[float, frozenset[str]] = (-SENSITIVE_TTL_S, frozenset())
        self._lock = threading.Lock()

    def sensitive(self, s: Session) -> frozenset[str]:
        """The workspace's sensitive trait names, read at most every SENSITIVE_TTL_S: reading
        them scans every trait table, which per message cost more than the rest of a render."""
        with self._lock:
            read_at, names = self._sensitive
        if time.monotonic() - read_at < SENSITIVE_TTL_S:
            return names
        names = frozenset(sensitive_traits(s))
        with self._lock:
            self._sensitive = (time.monotonic(), names)
        return names

    def _spec(self, s: Session, row: dict[str, Any]) -> tuple[dict[str, str], str]:
        """The templates of the message's parts and its locale."""
        if row["journey_id"] is not None and row["journey_version"] is not None:
            node = self.journey_content(
                row["journey_id"], int(row["journey_version"]), row["node_id"]
            )
            if node is None:
                raise TerminalSendError(
                    f"journey node {row['node_id']!r} no longer sends a message"
                )
            if node.offer is not None:
                return self._offer(s, node.offer, row["channel"]), node.locale
            return dict(node.parts), node.locale
        spec = json.loads(str(row["spec"] or "{}"))
        return dict(spec.get("content") or {}), str(spec.get("locale") or "vi")

    def _offer(self, s: Session, ref: str, channel: str) -> dict[str, str]:
        found = s.fetchone(
            "SELECT name, template FROM offers WHERE status = 'active' AND "
            "(offer_id = ? OR lower(name) = lower(?))",
            [ref, ref],
            step="render.offer",
        )
        if found is None:
            raise TerminalSendError(f"offer {ref!r} was deleted")
        title, main = OFFER_PARTS.get(channel, (None, "text"))
        parts = {main: str(found[1])}
        if title is not None:
            parts[title] = str(found[0])
        return parts

    def render_many(
        self, s: Session, rows: list[dict[str, Any]], *, now: datetime
    ) -> list[tuple[dict[str, Any], dict[str, str]] | TerminalSendError]:
        """:meth:`render` for a claimed batch: the people's traits in one query (a query per
        message cost more than the rest of its render); a failure is returned in its place."""
        hidden = set(self.sensitive(s))
        people = traits_of_many(s, [row["profile_id"] for row in rows], hidden)
        out: list[tuple[dict[str, Any], dict[str, str]] | TerminalSendError] = []
        for row in rows:
            try:
                out.append(self._render(s, row, people.get(row["profile_id"], {}), now))
            except TerminalSendError as exc:
                out.append(exc)
        return out

    def _render(
        self, s: Session, row: dict[str, Any], traits: dict[str, Any], now: datetime
    ) -> tuple[dict[str, Any], dict[str, str]]:
        from unicx.channels.tracking import links_for

        parts, locale = self._spec(s, row)
        profile_id = row["profile_id"]
        links = links_for(s, self.settings, row["message_id"]) if row["channel"] == "email" else {}
        context: dict[str, Any] = {
            "traits": {**traits, "profile_id": profile_id},
            "locale": locale,
            "now": now,
            "personalized": True,
            "message": {
                "message_id": row["message_id"],
                "channel": row["channel"],
                "journey": row["journey_id"],
                "unsubscribe_url": links.get("unsubscribe", ""),
            },
        }
        if any("recommendations" in source for source in parts.values()):
            context["recommendations"] = self._recommend(profile_id, now)
        channel = get_channel(row["channel"])
        kind = row["channel"] if channel is not None else "text"
        out: dict[str, Any] = {}
        for part, source in parts.items():
            try:
                out[part] = render(source, context, channel=kind).strip()
            except ValidationError as exc:
                raise TerminalSendError(f"part {part!r} does not render: {exc.message}") from None
        return out, links

    def _recommend(self, profile_id: str, now: datetime) -> list[dict[str, Any]]:
        if self._recommendations is not None:
            return self._recommendations(profile_id, RECOMMENDED)
        return top_products_provider(self.store, self.settings, now=now)(profile_id, RECOMMENDED)
