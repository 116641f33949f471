"""The single customer view: a profile by any identifier, with identifiers, traits and timeline."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, JsonValue

from unicx.errors import NotFoundError, ValidationError
from unicx.identity.models import Identifier
from unicx.identity.normalize import normalize_email, normalize_id, normalize_phone
from unicx.ingest.query import EventPublic, row_to_public
from unicx.profiles.downstream import chain
from unicx.store import Store

MAX_TIMELINE_PAGE = 1000
MAX_PAGE_MESSAGES = 1000  # messages shown next to one page of events


class ProfilePublic(BaseModel):
    profile_id: str
    created_at: datetime
    updated_at: datetime
    identifiers: list[Identifier]
    traits: dict[str, Any] = Field(description="Latest value of each trait the person sent.")
    computed_traits: dict[str, Any] = Field(description="Traits unicx computes from events.")


class TimelinePage(BaseModel):
    events: list[EventPublic]
    next_cursor: str | None = Field(
        description="Pass as ?before= to get the next (older) page; null on the last page."
    )
    # Channels' MessagePublic as JSON: channels sit above profiles, which cannot name it.
    messages: list[dict[str, JsonValue]] | None = Field(
        default=None,
        description="With ?messages=true: the person's messages (status, reason, history) "
        "created in the time span of this page of events, newest first.",
    )


def normalize_identifier(id_type: str, value: str) -> str | None:
    if id_type == "email":
        return normalize_email(value)
    if id_type == "phone":
        return normalize_phone(value)
    return normalize_id(value)


class ProfileService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def lookup(self, id_type: str, value: str) -> ProfilePublic:
        norm = normalize_identifier(id_type, value)
        if norm is None:
            raise ValidationError(f"{value[:64]!r} is not a usable {id_type}")
        with self.store.session() as s:
            row = s.fetchone(
                "SELECT profile_id FROM identities WHERE id_type = ? AND id_value = ?",
                [id_type, norm],
                step="profiles.lookup",
            )
        if row is None:
            raise NotFoundError(f"no profile with {id_type} {value[:64]!r}")
        return self.get(str(row[0]))

    def get(self, profile_id: str) -> ProfilePublic:
        with self.store.session() as s:
            head = s.fetchone(
                "SELECT created_at, updated_at FROM profiles WHERE profile_id = ?",
                [profile_id],
                step="profiles.get",
            )
            if head is None:
                raise NotFoundError(f"no profile {profile_id[:64]!r}")
            ids = s.fetch_dicts(
                "SELECT id_type, id_value, first_seen, last_seen FROM identities "
                "WHERE profile_id = ? ORDER BY id_type, first_seen",
                [profile_id],
                step="profiles.identifiers",
            )
            traits = s.fetchall(
                "SELECT name, value FROM profile_traits WHERE profile_id = ? ORDER BY name",
                [profile_id],
                step="profiles.traits",
            )
            computed = s.fetchall(
                "SELECT name, value FROM computed_traits WHERE profile_id = ? ORDER BY name",
                [profile_id],
                step="profiles.computed",
            )
        return ProfilePublic(
            profile_id=profile_id,
            created_at=head[0],
            updated_at=head[1],
            identifiers=[Identifier(**i) for i in ids],
            traits={n: _json(v) for n, v in traits},
            computed_traits={n: _json(v) for n, v in computed},
        )

    def timeline(
        self,
        profile_id: str,
        *,
        limit: int,
        before: str | None,
        messages: bool = False,
        event: str | None = None,
    ) -> TimelinePage:
        """The profile's events, newest first, paged by an opaque (timestamp, key) cursor;
        with ``messages``, the message log over the same span next to them; with ``event``,
        only the track events of that name."""
        self.get_head(profile_id)
        where, params, upper = _timeline_filter(profile_id, event=event, before=before)
        with self.store.session() as s:
            rows = s.fetch_dicts(
                f"SELECT * EXCLUDE (user_agent) FROM event_profiles WHERE profile_id = ? {where} "
                "ORDER BY timestamp DESC, event_key DESC LIMIT ?",
                [*params, limit + 1],
                step="profiles.timeline",
            )
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = f"{rows[-1]['timestamp'].isoformat()}~{rows[-1]['event_key']}" if more else None
        for r in rows:
            r.pop("event_key")
            r.pop("profile_id")
        log = None
        if messages:
            lower = rows[-1]["timestamp"] if more else None
            found = chain().messages(  # channels sit above profiles (profiles/downstream.py)
                self.store,
                profile_id=profile_id,
                created_after=lower,
                created_before=upper,
                limit=MAX_PAGE_MESSAGES,
            )
            log = [m.model_dump(mode="json") for m in found]
        return TimelinePage(
            events=[row_to_public(r) for r in rows], next_cursor=cursor, messages=log
        )

    def get_head(self, profile_id: str) -> None:
        with self.store.session() as s:
            row = s.fetchone(
                "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="profiles.head"
            )
        if row is None:
            raise NotFoundError(f"no profile {profile_id[:64]!r}")


def _timeline_filter(
    profile_id: str, *, event: str | None, before: str | None
) -> tuple[str, list[Any], datetime | None]:
    """The WHERE tail and parameters of a timeline page, and the cursor's time (if any)."""
    params: list[Any] = [profile_id]
    where = ""
    if event is not None:
        where = "AND event = ? "
        params.append(event)
    if before is None:
        return where, params, None
    ts, key = _parse_cursor(before)
    return where + "AND (timestamp, event_key) < (?, ?::UHUGEINT)", [*params, ts, key], ts


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    ts_text, _, key = cursor.partition("~")
    try:
        ts = datetime.fromisoformat(ts_text)
    except ValueError:
        raise ValidationError("invalid cursor") from None
    if not key.isdigit() or len(key) > 39:
        raise ValidationError("invalid cursor")
    return ts, key


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
