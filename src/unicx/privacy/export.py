"""Everything unicx holds on one person, as JSON (right of access / data portability).

The export walks :data:`unicx.privacy.registry.PERSON_TABLES`, so a table registered there
is exported with no change here. Reading and auditing happen in one transaction: the export is
a consistent snapshot, and it is on record exactly when it was produced.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from unicx.errors import NotFoundError
from unicx.privacy import audit
from unicx.privacy.models import ProfileExport
from unicx.privacy.registry import PERSON_TABLES, PersonTable, collect_person, drop_person
from unicx.store import Session, Store

EXPORT_FORMAT: Final = "unicx.profile-export.v1"
# Integers beyond what a JavaScript client reads exactly (the 128-bit event keys) go as text.
_JS_SAFE: Final = 2**53


def export_profile(store: Store, profile_id: str, *, actor: str) -> ProfileExport:
    """The person's rows of every registered table, keyed by table name."""
    exported_at = datetime.now(UTC)
    with store.session() as s, s.transaction():
        require_profile(s, profile_id)
        # The temp tables die with a failed transaction; only success needs to drop them.
        collect_person(s, [profile_id])
        json_columns = _json_columns(s)
        tables = {t.table: _rows(s, t, json_columns.get(t.table, set())) for t in PERSON_TABLES}
        drop_person(s)
        audit.record(
            s,
            actor=actor,
            action="profile.export",
            target=profile_id,
            detail={"rows": {name: len(rows) for name, rows in tables.items()}},
        )
    return ProfileExport(
        format=EXPORT_FORMAT,
        profile_id=profile_id,
        exported_at=exported_at.isoformat(),
        tables=tables,
    )


def require_profile(session: Session, profile_id: str) -> None:
    if not session.fetchone(
        "SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id], step="privacy.profile"
    ):
        raise NotFoundError(f"no profile {profile_id[:64]!r}")


def _json_columns(session: Session) -> dict[str, set[str]]:
    rows = session.fetchall(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE data_type = 'JSON' AND NOT internal AND schema_name = 'main'",
        step="privacy.json_columns",
    )
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), set()).add(str(column))
    return out


def export_sql(entry: PersonTable) -> str:
    """The person's rows of one registry entry (read from the ``px_*`` temp tables)."""
    order = f" ORDER BY {entry.order_by}" if entry.order_by else ""
    return f"SELECT * FROM {entry.table} WHERE {entry.where}{order}"


def _rows(session: Session, entry: PersonTable, json_columns: set[str]) -> list[dict[str, Any]]:
    rows = session.fetch_dicts(export_sql(entry), step=f"privacy.export.{entry.table}")
    return [{k: _plain(v, is_json=k in json_columns) for k, v in row.items()} for row in rows]


def _plain(value: Any, *, is_json: bool) -> Any:
    """A JSON-ready value: JSON columns parsed, times as ISO text, huge ints as text."""
    if value is None:
        return None
    if is_json and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _JS_SAFE:
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value
