"""Segments: define, validate, preview, save (versioned), list, and read their members.

Saving a definition checks it against the workspace and materializes its membership in the
same transaction, so a saved segment is never empty-until-the-next-refresh; every later change
comes from ingest passes, the edge scheduler, or a full refresh (:mod:`unicx.segments.refresh`).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from unicx.config import Settings
from unicx.errors import ConflictError, FieldIssue, NotFoundError
from unicx.segments import conditions as sc
from unicx.segments import definition as d
from unicx.segments.compiler import Compiled, compile_segment
from unicx.segments.membership import FULL, NEW, Live, apply, select_members
from unicx.segments.models import (
    Change,
    Issue,
    Member,
    MemberPage,
    Preview,
    ProfileSegment,
    SegmentCreate,
    SegmentPublic,
    SegmentUpdate,
    SegmentUsage,
    SizePoint,
    Validation,
)
from unicx.segments.registry import Resolver, check_no_cycle, resolve_refs, segment_index
from unicx.segments.rows import change_record, check_traits, public, traits_of
from unicx.segments.usage import describe, segment_users
from unicx.segments.vocabulary import load
from unicx.store import Session, Store

MAX_PAGE = 1000
MAX_SEGMENTS = 500
SAMPLE_TRAITS = ("first_seen", "last_seen", "orders_count", "revenue")
_NAME_RE = sc.NAME_RE


def _name(name: str) -> str:
    name = name.strip()
    if not name or not _NAME_RE.match(name):
        raise sc.issue("name", "name", "1-100 printable characters")
    return name


class SegmentService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    # -- checking ----------------------------------------------------------------------------

    def _compile(
        self,
        s: Session,
        raw: dict[str, Any],
        *,
        strict: bool,
        now: datetime,
        self_id: str | None = None,
    ) -> tuple[Compiled, dict[str, Any], list[FieldIssue]]:
        tree = d.parse(raw, now=now)
        resolver = Resolver(s, load(s), segment_index(s), strict=strict, self_id=self_id)
        stored = resolve_refs(raw, resolver)
        compiled = compile_segment(tree, resolver)
        return compiled, stored, resolver.warnings

    def validate(
        self, raw: dict[str, Any], *, strict: bool = True, now: datetime | None = None
    ) -> Validation:
        now = now or datetime.now(UTC)
        with self.store.session() as s:
            compiled, _, warnings = self._compile(s, raw, strict=strict, now=now)
        return Validation(
            valid=True,
            sql=compiled.sql,
            warnings=[Issue(**w.as_dict()) for w in warnings],
            time_windows=bool(compiled.edges),
            depends_on_others=compiled.global_,
            references=sorted(compiled.refs),
        )

    def preview(
        self,
        raw: dict[str, Any],
        *,
        strict: bool = True,
        sample: int = 10,
        now: datetime | None = None,
    ) -> Preview:
        """Count and a sample of who would be in the segment now, without saving anything."""
        now = now or datetime.now(UTC)
        started = time.perf_counter()
        with self.store.session() as s:
            compiled, _, warnings = self._compile(s, raw, strict=strict, now=now)
            select_members(s, compiled, FULL, now=now)
            row = s.fetchone(f"SELECT count(*) FROM {NEW}", step="segments.preview_count")
            ids = [
                str(r[0])
                for r in s.fetchall(
                    f"SELECT profile_id FROM {NEW} ORDER BY hash(profile_id) LIMIT ?",
                    [max(0, min(sample, 100))],
                    step="segments.preview_sample",
                )
            ]
            traits = traits_of(s, ids, list(SAMPLE_TRAITS))
            s.execute(f"DROP TABLE IF EXISTS {NEW}", step="segments.preview_drop")
        return Preview(
            count=int(row[0]) if row else 0,
            sample=[{"profile_id": i, **traits.get(i, {})} for i in ids],
            seconds=round(time.perf_counter() - started, 4),
            warnings=[Issue(**w.as_dict()) for w in warnings],
        )

    # -- saving ------------------------------------------------------------------------------

    def create(
        self,
        body: SegmentCreate,
        *,
        actor: str | None = None,
        strict: bool = True,
        now: datetime | None = None,
    ) -> SegmentPublic:
        now = now or datetime.now(UTC)
        name = _name(body.name)
        sid = f"seg_{uuid.uuid4().hex[:16]}"
        with self.store.profile_lock, self.store.session() as s, s.transaction():
            self._unique_name(s, name)
            count = s.fetchone(
                "SELECT count(*) FROM segments WHERE status = 'active'", step="segments.count"
            )
            if count and int(count[0]) >= MAX_SEGMENTS:
                raise ConflictError(f"at most {MAX_SEGMENTS} active segments")
            compiled, stored, _ = self._compile(s, body.definition, strict=strict, now=now)
            text = json.dumps(stored, ensure_ascii=False)
            s.execute(
                "INSERT INTO segments VALUES (?, ?, ?, ?, 1, ?, 'active', ?, ?, ?, ?, ?)",
                [sid, name, body.description, body.kind, text, now, now, actor, now, now],
                step="segments.insert",
            )
            self._version(s, sid, 1, text, now, actor)
            live = Live(sid, name, 1, compiled)
            apply(s, live, FULL, now=now, reason="definition", timezone=self.settings.timezone)
        return self.get(sid)

    def update(
        self,
        segment_id: str,
        body: SegmentUpdate,
        *,
        actor: str | None = None,
        strict: bool = True,
        now: datetime | None = None,
    ) -> SegmentPublic:
        now = now or datetime.now(UTC)
        with self.store.profile_lock, self.store.session() as s, s.transaction():
            current = self._row(s, segment_id)
            name = _name(body.name) if body.name is not None else current["name"]
            if name.lower() != current["name"].lower():
                self._unique_name(s, name)
            description = current["description"] if body.description is None else body.description
            version = int(current["version"])
            if body.definition is not None:
                compiled, stored, _ = self._compile(
                    s, body.definition, strict=strict, now=now, self_id=segment_id
                )
                check_no_cycle(s, segment_id, compiled.refs, "definition")
                text = json.dumps(stored, ensure_ascii=False)
                if text != current["definition_text"]:
                    version += 1
                    self._version(s, segment_id, version, text, now, actor)
                    live = Live(segment_id, name, version, compiled)
                    apply(
                        s, live, FULL, now=now, reason="definition", timezone=self.settings.timezone
                    )
                    s.execute(
                        "UPDATE segments SET definition = ?, version = ?, refreshed_at = ? "
                        "WHERE segment_id = ?",
                        [text, version, now, segment_id],
                        step="segments.update_definition",
                    )
            s.execute(
                "UPDATE segments SET name = ?, description = ?, updated_at = ? "
                "WHERE segment_id = ?",
                [name, description, now, segment_id],
                step="segments.update",
            )
        return self.get(segment_id)

    def delete(
        self, segment_id: str, *, force: bool = False, now: datetime | None = None
    ) -> list[SegmentUsage]:
        """Retire a segment: its members go (without exit records: the segment is gone, not
        the people), its history stays. Refused while another segment references it (that one
        would no longer compile), and while a journey, offer or audience sync uses it unless
        ``force``; returns those users (their condition on it is false from now on)."""
        now = now or datetime.now(UTC)
        with self.store.profile_lock, self.store.session() as s, s.transaction():
            # The argument may be a name; references and rows are keyed by the id.
            row = self._row(s, segment_id)
            segment_id = str(row["segment_id"])
            users = segment_users(s, segment_id, str(row["name"]))
            blocking = [u for u in users if u.kind == "segment" or not force]
            if blocking:
                forcible = all(u.kind != "segment" for u in blocking)
                hint = " (or delete with force=true)" if forcible else ""
                raise ConflictError(
                    f"segment is used by {describe(blocking)}: change them first{hint}"
                )
            s.execute(
                "UPDATE segments SET status = 'deleted', updated_at = ? WHERE segment_id = ?",
                [now, segment_id],
                step="segments.delete",
            )
            s.execute(
                "DELETE FROM segment_members WHERE segment_id = ?",
                [segment_id],
                step="segments.delete_members",
            )
        return users

    def _version(
        self, s: Session, sid: str, version: int, text: str, now: datetime, actor: str | None
    ) -> None:
        s.execute(
            "INSERT INTO segment_versions VALUES (?, ?, ?, ?, ?)",
            [sid, version, text, now, actor],
            step="segments.version",
        )

    def _unique_name(self, s: Session, name: str) -> None:
        row = s.fetchone(
            "SELECT segment_id FROM segments WHERE status = 'active' AND lower(name) = lower(?)",
            [name],
            step="segments.name_taken",
        )
        if row is not None:
            raise ConflictError(f"a segment named {name[:100]!r} exists ({row[0]})")

    def _row(self, s: Session, segment_id: str) -> dict[str, Any]:
        rows = s.fetch_dicts(
            "SELECT *, CAST(definition AS VARCHAR) AS definition_text FROM segments "
            "WHERE status = 'active' AND (segment_id = ? OR lower(name) = lower(?))",
            [segment_id, segment_id],
            step="segments.get",
        )
        if not rows:
            raise NotFoundError(f"no segment {segment_id[:100]!r}")
        return rows[0]

    # -- reading -----------------------------------------------------------------------------

    def get(self, segment_id: str) -> SegmentPublic:
        with self.store.session() as s:
            return public(s, self._row(s, segment_id))

    def all(self) -> list[SegmentPublic]:
        with self.store.session() as s:
            rows = s.fetch_dicts(
                "SELECT *, CAST(definition AS VARCHAR) AS definition_text FROM segments "
                "WHERE status = 'active' ORDER BY lower(name)",
                step="segments.list",
            )
            return [public(s, r) for r in rows]

    def members(
        self,
        segment_id: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        traits: list[str] | None = None,
    ) -> MemberPage:
        """A page of members by profile id; ``cursor`` is the last id of the previous page."""
        if not 1 <= limit <= MAX_PAGE:
            raise sc.issue("limit", "range", f"1 to {MAX_PAGE}")
        with self.store.session() as s:
            segment = public(s, self._row(s, segment_id))
            names = check_traits(s, traits or [])
            rows = s.fetchall(
                "SELECT profile_id, entered_at FROM segment_members WHERE segment_id = ? "
                "AND profile_id > ? ORDER BY profile_id LIMIT ?",
                [segment.segment_id, cursor or "", limit + 1],
                step="segments.members",
            )
            page = rows[:limit]
            values = traits_of(s, [str(r[0]) for r in page], names)
        members = [
            Member(profile_id=str(p), entered_at=at, traits=values.get(str(p), {}))
            for p, at in page
        ]
        more = len(rows) > limit
        return MemberPage(
            segment_id=segment.segment_id,
            size=segment.size,
            members=members,
            next_cursor=members[-1].profile_id if more and members else None,
        )

    def changes(self, segment_id: str, *, after: int = 0, limit: int = 100) -> list[Change]:
        """Segment Entered / Exited records after the change id ``after`` (a cursor)."""
        if not 1 <= limit <= MAX_PAGE:
            raise sc.issue("limit", "range", f"1 to {MAX_PAGE}")
        with self.store.session() as s:
            sid = self._row(s, segment_id)["segment_id"]
            rows = s.fetch_dicts(
                "SELECT * FROM segment_changes WHERE segment_id = ? AND change_id > ? "
                "ORDER BY change_id LIMIT ?",
                [sid, after, limit],
                step="segments.changes_read",
            )
        return [change_record(r) for r in rows]

    def sizes(self, segment_id: str) -> list[SizePoint]:
        with self.store.session() as s:
            sid = self._row(s, segment_id)["segment_id"]
            rows = s.fetch_dicts(
                "SELECT day, size, entered, exited FROM segment_sizes WHERE segment_id = ? "
                "ORDER BY day",
                [sid],
                step="segments.sizes",
            )
        return [SizePoint(**r) for r in rows]

    def of_profile(self, profile_id: str) -> list[ProfileSegment]:
        with self.store.session() as s:
            if (
                s.fetchone(
                    "SELECT 1 FROM profiles WHERE profile_id = ?",
                    [profile_id],
                    step="segments.pexists",
                )
                is None
            ):
                raise NotFoundError(f"no profile {profile_id[:100]!r}")
            rows = s.fetch_dicts(
                "SELECT m.segment_id, s.name, m.entered_at FROM segment_members m "
                "JOIN segments s USING (segment_id) WHERE m.profile_id = ? "
                "AND s.status = 'active' ORDER BY lower(s.name)",
                [profile_id],
                step="segments.of_profile",
            )
        return [ProfileSegment(**r) for r in rows]
