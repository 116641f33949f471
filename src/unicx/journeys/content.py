"""What a journey node sends, read for the channels' renderer (which sits below journeys and
receives this reader through ``unicx.assembly``)."""

from __future__ import annotations

from unicx.channels.render import NodeContent
from unicx.journeys import definition as jd
from unicx.journeys.worker import Definitions
from unicx.store import Store


class NodeContents:
    """(journey, version, node) → :class:`NodeContent`, from the cached parsed definitions."""

    def __init__(self, store: Store) -> None:
        self._definitions = Definitions(store)

    def __call__(self, journey_id: str, version: int, node_id: str) -> NodeContent | None:
        node = self._definitions(journey_id, version).nodes.get(node_id)
        if isinstance(node, jd.WebhookNode):
            return NodeContent({"payload": node.payload}, "vi")
        if isinstance(node, jd.MessageNode):
            return NodeContent(dict(node.content or {}), node.locale, node.offer)
        return None
