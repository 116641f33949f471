"""The audit log: who exported, erased or changed what. Entries never hold personal data,
only ids (profile, key, request) and counts, so they can outlive an erasure."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from unicx.privacy.models import AuditEntry
from unicx.store import Session, Store

MAX_AUDIT_PAGE = 1000


def record(
    session: Session, *, actor: str, action: str, target: str | None, detail: dict[str, Any]
) -> str:
    """Append one entry inside the caller's transaction (so it commits with the action)."""
    audit_id = str(uuid.uuid4())
    session.execute(
        "INSERT INTO audit_log (audit_id, occurred_at, actor, action, target, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [audit_id, datetime.now(UTC), actor, action, target, json.dumps(detail)],
        step="audit.record",
    )
    return audit_id


def list_audit(
    store: Store,
    *,
    limit: int = 100,
    since: datetime | None = None,
    action: str | None = None,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest entries first, optionally only at/after ``since`` or of one ``action``; ``offset``
    skips that many (the dashboard pages through the log)."""
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("occurred_at >= ?")
        params.append(since)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    params += [max(1, min(limit, MAX_AUDIT_PAGE)), max(0, offset)]
    with store.session() as s:
        rows = s.fetch_dicts(
            f"SELECT * FROM audit_log {clause} "
            "ORDER BY occurred_at DESC, audit_id LIMIT ? OFFSET ?",
            params,
            step="audit.list",
        )
    for r in rows:
        r["detail"] = json.loads(r["detail"]) if r["detail"] is not None else None
    return [AuditEntry(**r) for r in rows]
