"""Identifier types and the identity records the API shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel

# Built-in identifier types; any other type name (from context.externalIds) is a custom type.
USER_ID: Final = "user_id"
ANONYMOUS_ID: Final = "anonymous_id"
EMAIL: Final = "email"
PHONE: Final = "phone"
DEVICE_ID: Final = "device_id"
BUILTIN_TYPES: Final = (USER_ID, ANONYMOUS_ID, EMAIL, PHONE, DEVICE_ID)
# Custom types are free-form but must be safe as names in queries, URLs and reports.
CUSTOM_TYPE_PATTERN: Final = r"^[a-z][a-z0-9_]{0,39}$"
DEFAULT_CUSTOM_LIMIT: Final = 5


class Identifier(BaseModel):
    id_type: str
    id_value: str
    first_seen: datetime
    last_seen: datetime


class MergeRecord(BaseModel):
    merge_id: str
    winner_id: str
    loser_id: str
    reason: str
    evidence: Any = None
    moved: list[dict[str, str]]
    created_at: datetime
    undone_at: datetime | None = None
    undone_by: str | None = None


class ConflictRecord(BaseModel):
    conflict_id: str
    id_type: str
    id_value: str
    profile_id: str
    other_profile_id: str
    rule: str
    evidence: Any = None
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    status: str
