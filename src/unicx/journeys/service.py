"""Journeys as users manage them: create, validate, update (a new version), publish, pause,
resume, archive, migrate people between versions, and read a journey with its numbers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from unicx.errors import ConflictError, FieldIssue, NotFoundError, ValidationError
from unicx.journeys import definition as jd
from unicx.journeys.models import (
    JourneyPublic,
    JourneySummary,
    JourneyValidation,
    JourneyVersion,
    MigrationResult,
)
from unicx.journeys.validate import validate
from unicx.store import Session, Store

STATUSES = ("draft", "published", "paused", "archived")


def _dump(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, default=str)


class JourneyService:
    def __init__(self, store: Store, *, outbound_allow: Sequence[str] = ()) -> None:
        self.store = store
        # The outbound_allow setting: webhook URLs are checked against it when saved.
        self.allow = outbound_allow

    def _row(self, s: Session, ref: str) -> dict[str, Any]:
        rows = s.fetch_dicts(
            "SELECT * FROM journeys WHERE journey_id = ? OR lower(name) = lower(?) "
            "ORDER BY status = 'archived', journey_id LIMIT 1",
            [ref, ref],
            step="journeys.get",
        )
        if not rows:
            raise NotFoundError(f"no journey {ref[:100]!r}")
        return rows[0]

    def _public(self, s: Session, row: dict[str, Any]) -> JourneyPublic:
        version = row["published_version"] or row["latest_version"]
        drow = s.fetchone(
            "SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?",
            [row["journey_id"], row["latest_version"]],
            step="journeys.latest_definition",
        )
        return JourneyPublic(
            **row, definition=json.loads(str(drow[0])) if drow else None, entered_version=version
        )

    def validate(
        self, raw: Any, *, now: datetime, journey_id: str | None = None
    ) -> JourneyValidation:
        with self.store.session() as s:
            defn = validate(s, raw, now=now, journey_id=journey_id, allow=self.allow)
        return JourneyValidation(valid=True, nodes=len(defn.nodes), name=defn.name)

    def create(self, raw: Any, *, now: datetime) -> JourneyPublic:
        with self.store.session() as s, s.transaction():
            defn = validate(s, raw, now=now, allow=self.allow)
            self._unique_name(s, defn.name, None)
            journey_id = "jrn_" + secrets.token_hex(8)
            s.execute(
                "INSERT INTO journeys VALUES (?, ?, 'draft', 1, NULL, ?, ?)",
                [journey_id, defn.name, now, now],
                step="journeys.create",
            )
            self._save_version(s, journey_id, 1, raw, now)
            return self._public(s, self._row(s, journey_id))

    def update(self, ref: str, raw: Any, *, now: datetime) -> JourneyPublic:
        """A new version; people already in stay on theirs. Published journeys need a
        publish of the new version before new entrants get it."""
        with self.store.session() as s, s.transaction():
            row = self._row(s, ref)
            if row["status"] == "archived":
                raise ConflictError("an archived journey cannot change")
            defn = validate(s, raw, now=now, journey_id=row["journey_id"], allow=self.allow)
            self._unique_name(s, defn.name, row["journey_id"])
            version = int(row["latest_version"]) + 1
            self._save_version(s, row["journey_id"], version, raw, now)
            s.execute(
                "UPDATE journeys SET latest_version = ?, name = ?, updated_at = ? "
                "WHERE journey_id = ?",
                [version, defn.name, now, row["journey_id"]],
                step="journeys.update",
            )
            return self._public(s, self._row(s, row["journey_id"]))

    def _save_version(
        self, s: Session, journey_id: str, version: int, raw: Any, now: datetime
    ) -> None:
        s.execute(
            "INSERT INTO journey_versions VALUES (?, ?, ?, ?, NULL)",
            [journey_id, version, _dump(raw), now],
            step="journeys.save_version",
        )

    def _unique_name(self, s: Session, name: str, self_id: str | None) -> None:
        row = s.fetchone(
            "SELECT journey_id FROM journeys WHERE lower(name) = lower(?) AND status <> 'archived'",
            [name],
            step="journeys.name_taken",
        )
        if row is not None and str(row[0]) != self_id:
            issue = FieldIssue("name", "duplicate", f"a journey named {name!r} already exists")
            raise ValidationError(f"name: a journey named {name!r} already exists", issues=[issue])

    def get(self, ref: str) -> JourneyPublic:
        with self.store.session() as s:
            return self._public(s, self._row(s, ref))

    def versions(self, ref: str) -> list[JourneyVersion]:
        """Every saved version of a journey, newest first."""
        with self.store.session() as s:
            jid = self._row(s, ref)["journey_id"]
            rows = s.fetch_dicts(
                "SELECT version, created_at, published_at, definition FROM journey_versions "
                "WHERE journey_id = ? ORDER BY version DESC",
                [jid],
                step="journeys.versions",
            )
        return [
            JourneyVersion(**{k: v for k, v in row.items() if k != "definition"},
                           nodes=len(json.loads(str(row["definition"])).get("nodes") or {}))
            for row in rows
        ]  # fmt: skip

    def definition(self, ref: str, version: int) -> dict[str, Any]:
        """The definition saved as ``version`` of a journey."""
        with self.store.session() as s:
            jid = self._row(s, ref)["journey_id"]
            row = s.fetchone(
                "SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?",
                [jid, version],
                step="journeys.version_definition",
            )
        if row is None:
            raise NotFoundError(f"journey has no version {version}")
        loaded: dict[str, Any] = json.loads(str(row[0]))
        return loaded

    def list(self) -> list[JourneySummary]:
        with self.store.session() as s:
            rows = s.fetch_dicts(
                "SELECT j.*, count(r.run_id) FILTER (WHERE r.status = 'active') AS in_progress, "
                "count(r.run_id) AS entered FROM journeys j "
                "LEFT JOIN journey_runs r USING (journey_id) GROUP BY ALL ORDER BY j.created_at",
                step="journeys.list",
            )
        return [JourneySummary(**row) for row in rows]

    def publish(self, ref: str, *, now: datetime) -> JourneyPublic:
        """New entrants get the latest version from now on (re-validated against the workspace
        as it is now: a segment or offer may have been deleted since saving)."""
        with self.store.session() as s, s.transaction():
            row = self._row(s, ref)
            if row["status"] == "archived":
                raise ConflictError("an archived journey cannot be published")
            version = int(row["latest_version"])
            drow = s.fetchone(
                "SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?",
                [row["journey_id"], version],
                step="journeys.publish_definition",
            )
            assert drow is not None
            defn = json.loads(str(drow[0]))
            validate(s, defn, now=now, journey_id=row["journey_id"], allow=self.allow)
            s.execute(
                "UPDATE journey_versions SET published_at = coalesce(published_at, ?) "
                "WHERE journey_id = ? AND version = ?",
                [now, row["journey_id"], version],
                step="journeys.mark_published",
            )
            s.execute(
                "UPDATE journeys SET status = 'published', published_version = ?, updated_at = ? "
                "WHERE journey_id = ?",
                [version, now, row["journey_id"]],
                step="journeys.publish",
            )
            return self._public(s, self._row(s, row["journey_id"]))

    def set_status(self, ref: str, status: str, *, now: datetime) -> JourneyPublic:
        """pause (nobody enters or moves; waits keep their due time), resume, archive (everyone
        still in exits with reason ``archived``, queued messages are cancelled)."""
        allowed = {
            "paused": ("published",),
            "published": ("paused",),
            "archived": ("draft", "published", "paused"),
        }
        with self.store.session() as s, s.transaction():
            row = self._row(s, ref)
            if row["status"] not in allowed[status]:
                raise ConflictError(
                    f"journey is {row['status']}; cannot become {status} "
                    f"(only from {', '.join(allowed[status])})"
                )
            jid = row["journey_id"]
            if status == "archived":
                s.execute(
                    "UPDATE journey_runs SET status = 'done', exited_at = $now, exit_reason = "
                    "'archived', exit_node = node_id, due_at = NULL, updated_at = $now "
                    "WHERE journey_id = $j AND status = 'active'",
                    {"now": now, "j": jid},
                    step="journeys.archive_runs",
                )
                s.execute(
                    "UPDATE messages SET status = 'cancelled', reason = 'journey archived', "
                    "updated_at = $now WHERE journey_id = $j AND status = 'queued'",
                    {"now": now, "j": jid},
                    step="journeys.archive_messages",
                )
            s.execute(
                "UPDATE journeys SET status = ?, updated_at = ? WHERE journey_id = ?",
                [status, now, jid],
                step="journeys.set_status",
            )
            return self._public(s, self._row(s, jid))

    def migrate(
        self, ref: str, *, from_version: int, to_version: int | None, now: datetime
    ) -> MigrationResult:
        """Move people in progress on ``from_version`` to ``to_version`` (default: published),
        keeping their node; people on a node the target lacks stay where they are."""
        with self.store.session() as s, s.transaction():
            row = self._row(s, ref)
            target = to_version or row["published_version"]
            if target is None:
                raise ConflictError("the journey has no published version to migrate to")
            drow = s.fetchone(
                "SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?",
                [row["journey_id"], target],
                step="journeys.migrate_target",
            )
            if drow is None:
                raise NotFoundError(f"journey has no version {target}")
            nodes = sorted(jd.parse_definition(json.loads(str(drow[0]))).nodes)
            moved = s.fetchone(
                "UPDATE journey_runs SET version = $to, updated_at = $now WHERE journey_id = $j "
                "AND version = $from AND status = 'active' "
                "AND node_id IN (SELECT unnest($nodes::VARCHAR[]))",
                {
                    "to": target,
                    "now": now,
                    "j": row["journey_id"],
                    "from": from_version,
                    "nodes": nodes,
                },
                step="journeys.migrate",
            )
            stayed = s.fetchone(
                "SELECT count(*) FROM journey_runs WHERE journey_id = ? AND version = ? "
                "AND status = 'active'",
                [row["journey_id"], from_version],
                step="journeys.migrate_left",
            )
        return MigrationResult(
            moved=int(moved[0]) if moved else 0,
            stayed=int(stayed[0]) if stayed else 0,
            to_version=target,
        )
