"""Public models of the privacy domain (consent, erasure report, audit entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictBool


class ConsentUpdate(BaseModel):
    purposes: dict[str, StrictBool] = Field(
        min_length=1,
        max_length=20,
        description='Purpose → granted, e.g. {"email": false}. '
        "Purposes: email, sms, push, ads, personalization.",
    )


class ConsentState(BaseModel):
    granted: bool | None = Field(
        description="true/false as last recorded; null = never recorded (unknown)."
    )
    updated_at: datetime | None = Field(description="Timestamp of the deciding event.")
    source: str | None = Field(description="source_id/message_id of the deciding event.")


class ConsentPublic(BaseModel):
    profile_id: str
    purposes: dict[str, ConsentState]


class ErasureReport(BaseModel):
    profile_id: str
    request_id: str
    erased_at: datetime
    identifiers: dict[str, int] = Field(description="How many identifiers of each type went.")
    deleted: dict[str, int] = Field(description="Rows deleted per table.")
    tombstones: int = Field(description="Tombstones written (keyed hashes of the identifiers).")
    files_changed: int = Field(
        default=0, description="Workspace files rewritten or deleted (rejects, audiences, uploads)."
    )
    compacted: bool = Field(
        default=False,
        description="The database file was rewritten without the deleted rows (false: it was "
        "busy; the next erasure rewrites it).",
    )


class AuditEntry(BaseModel):
    audit_id: str
    occurred_at: datetime
    actor: str
    action: str
    target: str | None = None
    detail: Any = None


class ProfileExport(BaseModel):
    """Everything held on one person (right of access): each table's rows, JSON-ready."""

    format: str = Field(description="unicx.profile-export.v1")
    profile_id: str
    exported_at: str = Field(description="ISO 8601")
    # Free-form on purpose: each registered table's own columns, values made JSON-ready by
    # privacy/export.py (not re-checked here: an export can be large).
    tables: dict[str, list[dict[str, Any]]] = Field(description="Table name → the person's rows")
