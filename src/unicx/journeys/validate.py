"""Checking a parsed journey against itself (the graph) and the workspace (channels,
templates, offers, segments, other journeys). Every problem names the node and field."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from unicx.channels.base import channel_names, get_channel
from unicx.channels.outbound import check_url_destination
from unicx.errors import FieldIssue, ValidationError
from unicx.journeys import definition as jd
from unicx.personalize.eligibility import check as check_condition
from unicx.personalize.sensitive import SensitiveCheck
from unicx.personalize.templates import check_template, used_traits
from unicx.segments.interface import active_segment
from unicx.store import Session


def graph_issues(defn: jd.JourneyDefinition) -> list[FieldIssue]:
    """Dangling edges, unreachable nodes, and cycles a person could loop through without
    ever waiting (the scheduler would spin on them)."""
    issues: list[FieldIssue] = []
    nodes = defn.nodes
    if defn.start not in nodes:
        issues.append(FieldIssue("start", "unknown_node", _unknown(defn.start, nodes)))
    for node_id, node in nodes.items():
        for field, target in jd.successors(node):
            if target not in nodes:
                issues.append(
                    FieldIssue(f"nodes.{node_id}.{field}", "unknown_node", _unknown(target, nodes))
                )
    if issues:
        return issues
    reached = _reachable(defn)
    for node_id in nodes:
        if node_id not in reached:
            message = f"node {node_id!r} cannot be reached from start {defn.start!r}"
            issues.append(FieldIssue(f"nodes.{node_id}", "unreachable", message))
    cycle = _waitless_cycle(defn)
    if cycle:
        path = " → ".join(cycle)
        message = f"cycle without a wait: {path} (add a wait node to the loop)"
        issues.append(FieldIssue(f"nodes.{cycle[0]}", "cycle_without_wait", message))
    return issues


def _unknown(target: str, nodes: dict[str, Any]) -> str:
    close = difflib.get_close_matches(target, list(nodes), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no node {target!r}{hint}"


def _reachable(defn: jd.JourneyDefinition) -> set[str]:
    seen, todo = {defn.start}, [defn.start]
    while todo:
        for _, target in jd.successors(defn.nodes[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _waitless_cycle(defn: jd.JourneyDefinition) -> list[str] | None:
    """A cycle in the graph without the edges leaving wait nodes, as a path of node ids."""
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        color[node_id] = 1
        stack.append(node_id)
        node = defn.nodes[node_id]
        if not isinstance(node, jd.WaitNode):
            for _, target in jd.successors(node):
                if color.get(target) == 1:
                    return [*stack[stack.index(target) :], target]
                if target not in color and (found := visit(target)):
                    return found
        stack.pop()
        color[node_id] = 2
        return None

    for node_id in defn.nodes:
        if node_id not in color and (found := visit(node_id)):
            return found
    return None


def workspace_issues(
    session: Session,
    defn: jd.JourneyDefinition,
    *,
    now: datetime,
    journey_id: str | None,
    allow: Sequence[str] = (),
) -> list[FieldIssue]:
    """What the names refer to: channels, templates, offers, segments, journeys."""
    issues: list[FieldIssue] = []
    if isinstance(defn.entry, jd.SegmentEntry | jd.ScheduleEntry) and not _segment_exists(
        session, defn.entry.segment
    ):
        message = f"no segment {defn.entry.segment!r}"
        issues.append(FieldIssue("entry.segment", "unknown_segment", message))
    sensitive = SensitiveCheck(session)
    for node_id, node in defn.nodes.items():
        where = f"nodes.{node_id}"
        if isinstance(node, jd.MessageNode):
            issues.extend(_message_issues(session, where, node, sensitive))
        elif isinstance(node, jd.WebhookNode):
            issues.extend(
                _template_issues(where + ".payload", node.payload, "webhook", "vi", sensitive)
            )
            refused = check_url_destination(node.url, allow=allow, what="webhook url")
            if refused:
                issues.append(FieldIssue(f"{where}.url", "outbound_refused", refused))
        elif isinstance(node, jd.ConditionNode) and node.condition is not None:
            try:
                check_condition(session, node.condition, now=now, strict=True, sensitive=sensitive)
            except ValidationError as exc:
                issues.extend(_rerooted(exc, f"{where}.condition"))
        elif isinstance(node, jd.TriggerNode):
            target = _journey_id(session, node.journey)
            if target is None:
                message = f"no journey {node.journey!r}"
                issues.append(FieldIssue(f"{where}.journey", "unknown_journey", message))
            elif target == journey_id:
                message = "a journey cannot trigger itself (loop back to a node with a wait)"
                issues.append(FieldIssue(f"{where}.journey", "self_trigger", message))
    return issues


def _rerooted(exc: ValidationError, root: str) -> list[FieldIssue]:
    def fix(text: str) -> str:
        for old in ("eligibility", "definition"):
            if text.startswith(old):
                return root + text[len(old) :]
        return root

    return [FieldIssue(fix(i.field), i.rule, i.message) for i in exc.issues] or [
        FieldIssue(root, "invalid", exc.message)
    ]


def _message_issues(
    session: Session, where: str, node: jd.MessageNode, sensitive: SensitiveCheck
) -> list[FieldIssue]:
    channel = get_channel(node.channel)
    if channel is None:
        names = channel_names()
        close = difflib.get_close_matches(node.channel, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"unknown channel {node.channel!r}{hint}; channels: {', '.join(names)}"
        return [FieldIssue(f"{where}.channel", "unknown_channel", message)]
    if node.offer is not None:
        row = session.fetchone(
            "SELECT offer_id FROM offers WHERE status = 'active' AND "
            "(offer_id = ? OR lower(name) = lower(?))",
            [node.offer, node.offer],
            step="journeys.offer_exists",
        )
        if row is None:
            message = f"missing template: no offer or content block {node.offer!r}"
            return [FieldIssue(f"{where}.offer", "missing_template", message)]
        return []
    content = node.content or {}
    issues = []
    allowed = (*channel.required_parts, *channel.optional_parts)
    for part in channel.required_parts:
        if not content.get(part, "").strip():
            message = f"missing template for {part!r} (channel {node.channel} needs {allowed})"
            issues.append(FieldIssue(f"{where}.content.{part}", "missing_template", message))
    for part, source in content.items():
        if part not in allowed:
            message = f"channel {node.channel} has no part {part!r} (parts: {', '.join(allowed)})"
            issues.append(FieldIssue(f"{where}.content.{part}", "unknown_part", message))
        elif source.strip():
            issues.extend(
                _template_issues(
                    f"{where}.content.{part}", source, node.channel, node.locale, sensitive
                )
            )
    return issues


def _template_issues(
    where: str, source: str, channel: str, locale: str, sensitive: SensitiveCheck
) -> list[FieldIssue]:
    try:
        tree = check_template(source, channel=channel, locale=locale)
    except ValidationError as exc:
        return [FieldIssue(where, i.rule, i.message) for i in exc.issues] or [
            FieldIssue(where, "template", exc.message)
        ]
    return [
        FieldIssue(
            where,
            "sensitive_trait",
            f"line {line}: trait {name!r} is sensitive and cannot be used for personalization",
        )
        for name, line in used_traits(tree).items()
        if sensitive(name)
    ]


def _segment_exists(session: Session, ref: str) -> bool:
    return segment_id(session, ref) is not None


def segment_id(session: Session, ref: str) -> str | None:
    segment = active_segment(session, ref)
    return segment.segment_id if segment else None


def _journey_id(session: Session, ref: str) -> str | None:
    row = session.fetchone(
        "SELECT journey_id FROM journeys WHERE status <> 'archived' AND "
        "(journey_id = ? OR lower(name) = lower(?))",
        [ref, ref],
        step="journeys.journey_id",
    )
    return str(row[0]) if row else None


def validate(
    session: Session,
    raw: Any,
    *,
    now: datetime,
    journey_id: str | None = None,
    allow: Sequence[str] = (),
) -> jd.JourneyDefinition:
    """Parse and check a definition; ValidationError lists every issue with its path.
    ``allow``: the outbound_allow setting (webhook URLs to internal addresses it lists)."""
    defn = jd.parse_definition(raw)
    issues = graph_issues(defn) + workspace_issues(
        session, defn, now=now, journey_id=journey_id, allow=allow
    )
    if issues:
        summary = "; ".join(f"{i.field}: {i.message}" for i in issues[:5])
        raise ValidationError(f"invalid journey: {summary}", issues=issues)
    return defn
