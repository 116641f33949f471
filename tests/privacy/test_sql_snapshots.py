"""The SQL privacy generates from its registry, compared with reviewed snapshots in
tests/snapshots/privacy/ (see tests/sql_snapshots.py): the person's events (selected through
the contact paths), the contact-spelling candidates (one UNION branch per path) and the export
SELECT of every registered person table."""

from __future__ import annotations

import pytest

from tests.sql_snapshots import assert_snapshot, snapshot_text
from unicx.privacy.export import export_sql
from unicx.privacy.registry import (
    PERSON_EVENTS_SQL,
    PERSON_TABLES,
    PersonTable,
    contact_candidates_sql,
)


def test_person_events_sql_matches_snapshot() -> None:
    text = snapshot_text(PERSON_EVENTS_SQL, title="privacy person events")
    assert_snapshot("privacy", "person_events", text)


def test_contact_candidates_sql_matches_snapshot() -> None:
    text = snapshot_text(contact_candidates_sql(), title="privacy contact candidates")
    assert_snapshot("privacy", "contact_candidates", text)


@pytest.mark.parametrize("entry", list(PERSON_TABLES), ids=lambda e: e.table)
def test_export_sql_matches_snapshot(entry: PersonTable) -> None:
    text = snapshot_text(export_sql(entry), title=f"privacy export {entry.table}")
    assert_snapshot("privacy", f"export_{entry.table}", text)
