"""What the outbox records after a provider call, written in batches with the next commit
(unicx.store.deferred): a message handed over, then sent with the provider's answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unicx.channels.base import SendResult
from unicx.store import Session


@dataclass(frozen=True, slots=True)
class HandedOver:
    message_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    at: datetime
    result: SendResult
    rendered: str


def _in_list(ids: list[str]) -> str:
    """``(?, ?, …)`` for ``message_id IN``: DuckDB looks a literal list up in the primary key
    index, where a join against a table of ids scans every message."""
    return "(" + ", ".join("?" for _ in ids) + ")"


def _case(pairs: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """``CASE message_id WHEN ? THEN ? … END``: per-row values in the same index lookup."""
    sql = "CASE message_id " + " ".join("WHEN ? THEN ?" for _ in pairs) + " END"
    return sql, [v for pair in pairs for v in pair]


def write_records(s: Session, items: list[HandedOver | Sent]) -> None:
    handed = [i for i in items if isinstance(i, HandedOver)]
    sent = [i for i in items if isinstance(i, Sent)]
    if handed:
        _write_handovers(s, handed)
    if sent:
        _write_sent(s, sent)


def _write_handovers(s: Session, items: list[HandedOver]) -> None:
    ids = [i.message_id for i in items]
    s.execute(
        f"UPDATE messages SET status = 'handed_over', updated_at = ? "
        f"WHERE message_id IN {_in_list(ids)}",
        [max(i.at for i in items), *ids],
        step="outbox.handover",
    )


def _write_sent(s: Session, items: list[Sent]) -> None:
    ids = [i.message_id for i in items]
    columns: dict[str, list[tuple[str, Any]]] = {
        "sent_at": [(i.message_id, i.at) for i in items],
        "updated_at": [(i.message_id, i.at) for i in items],
        "provider_id": [(i.message_id, i.result.provider_id) for i in items],
        "rendered": [(i.message_id, i.rendered) for i in items],
        "reason": [(i.message_id, i.result.detail) for i in items],
    }
    sets: list[str] = []
    params: list[Any] = []
    for column, pairs in columns.items():
        sql, values = _case(pairs)
        sets.append(f"{column} = {sql}")
        params += values
    s.execute(
        f"UPDATE messages SET status = 'sent', {', '.join(sets)} "
        f"WHERE message_id IN {_in_list(ids)}",
        [*params, *ids],
        step="outbox.sent",
    )


def summary(content: dict[str, Any]) -> dict[str, Any]:
    """What the log keeps of a rendered message: short parts in full, long ones cut."""
    return {k: (v if len(str(v)) <= 500 else str(v)[:500] + "…") for k, v in content.items()}
